// Log lines never hold up the service: what cannot be written is dropped,
// counted and reported once writing works again (test/process/logging.test.ts
// runs the service with standard output on a full disk and on a stalled pipe).
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createLogDestination, fileDestination } from '../src/log-destination.js'
import { tempDir } from './helper.js'

t.test('a write that fails is dropped and counted; the count is reported once a write succeeds', async t => {
  let failing = true
  const written: string[] = []
  const destination = fileDestination(text => {
    if (failing) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
    written.push(text)
  })
  destination.write('{"msg":"one"}\n')
  destination.write('{"msg":"two"}\n')
  t.equal(destination.dropped, 2)
  t.same(written, [])
  failing = false
  destination.write('{"msg":"three"}\n')
  t.match(JSON.parse(written[0]!), { level: 40, dropped: 2, msg: /^log lines dropped/, time: /^\d{4}-/ })
  t.same(written.slice(1), ['{"msg":"three"}\n'])
  destination.write('{"msg":"four"}\n')
  t.equal(written.length, 3, 'reported once')
  await destination.flush(10)
})

t.test('a file destination writes each line as it comes, and a full disk drops them', async t => {
  const path = join(tempDir(t, 'log'), 'service.jsonl')
  const fd = openSync(path, 'w')
  const toFile = createLogDestination(fd)
  toFile.write('{"msg":"kept"}\n')
  closeSync(fd)
  t.equal(readFileSync(path, 'utf8'), '{"msg":"kept"}\n')

  const full = openSync('/dev/full', 'w')
  t.teardown(() => closeSync(full))
  const toFullDisk = createLogDestination(full)
  toFullDisk.write('{"msg":"lost"}\n')
  t.equal(toFullDisk.dropped, 1)

  const closed = createLogDestination(9999)
  closed.write('{"msg":"nowhere"}\n')
  t.equal(closed.dropped, 1, 'even a closed descriptor only counts')
})
