// The little of dns2 (a test-only DNS server) that the tests use.
declare module 'dns2' {
  import type { Socket } from 'node:dgram'
  interface Question { name: string, type: number }
  interface Packet { questions: Question[], answers: object[] }
  interface PacketStatic {
    TYPE: Record<'A' | 'AAAA' | 'SRV', number>
    CLASS: Record<'IN', number>
    createResponseFromRequest (request: Packet): Packet
  }
  const dns2: {
    Packet: PacketStatic
    createUDPServer (handler: (request: Packet, send: (response: Packet) => void) => void): Socket
  }
  export default dns2
}
