// The little of dns2 (a test-only DNS server) that the tests use.
declare module 'dns2' {
  import type { Socket } from 'node:dgram'
  interface Question { name: string, type: number }
  export interface Packet {
    header: { id: number }
    questions: Question[]
  }
  interface PacketStatic {
    parse (message: Buffer): Packet
  }
  type Handler = (request: Packet, send: (response: Buffer) => void) => void
  const dns2: {
    Packet: PacketStatic
    createUDPServer (handler: Handler): Socket
  }
  export default dns2
}
