// Which hosts remote homeservers can reach, for m.server (and a domains
// file's server): a loopback or unspecified address, or a name that means one,
// reaches only the server asking; a numeric shorthand ("2130706433",
// "0x7f.0.0.1", "127.1") is read as an IPv4 address by URL parsers and
// resolvers alike, whatever it looks like. Private ranges are reachable within
// a private federation only.
import { BlockList } from 'node:net'

function subnets (...ranges: Array<[address: string, prefix: number, type: 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList()
  for (const [address, prefix, type] of ranges) list.addSubnet(address, prefix, type)
  return list
}

// IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are matched against the IPv4 ranges.
const LOOPBACK = subnets(['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6'])
const UNSPECIFIED = subnets(['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6'])
const PRIVATE = subnets(
  ['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], ['169.254.0.0', 16, 'ipv4'], ['fc00::', 7, 'ipv6'], ['fe80::', 10, 'ipv6']
)

/** A host the way URL parsers read it: as an IPv4 address when its last label is a number, decimal or hex. */
export function numericHostProblem (hostname: string): string | undefined {
  if (!/(^|\.)(\d+|0x[0-9a-f]*)$/i.test(hostname)) return undefined
  return `has the host "${hostname}", which URL parsers read as an IPv4 address: write an address as four decimal numbers`
}

/** An address as BlockList takes it: IPv6 without its brackets, in canonical form. */
function address (hostname: string, kind: 'ipv4' | 'ipv6'): string {
  return kind === 'ipv4' ? hostname : new URL(`http://${hostname}`).hostname.slice(1, -1)
}

/** Why no remote homeserver can reach `hostname` (of a server name already parsed as `kind`), if none can. */
export function unreachableHostProblem (hostname: string, kind: 'dns' | 'ipv4' | 'ipv6'): string | undefined {
  if (kind === 'dns') {
    const name = hostname.toLowerCase()
    if (name === 'localhost' || name.endsWith('.localhost')) {
      return `has the host "${hostname}", a loopback name: each remote server would reach itself; give the homeserver's public name`
    }
    return numericHostProblem(hostname)
  }
  const ip = address(hostname, kind)
  if (LOOPBACK.check(ip, kind)) return `has the host ${hostname}, a loopback address: each remote server would reach itself; give the homeserver's public name`
  if (UNSPECIFIED.check(ip, kind)) return `has the host ${hostname}, an unspecified address, which names no server; give the homeserver's public name`
  return undefined
}

/** Advice for a reachable host in a private range: only servers on the same private network reach it. */
export function privateHostWarning (hostname: string, kind: 'dns' | 'ipv4' | 'ipv6'): string | undefined {
  if (kind === 'dns' || !PRIVATE.check(address(hostname, kind), kind)) return undefined
  return `${hostname} is a private address: only servers on the same private network can reach it, which suits a private federation only`
}
