// One slice size for all work on a whole domains file, and a yield between
// slices that lets waiting answers go first.
import t from 'tap'
import { HOSTS_PER_SLICE, nextSlice } from '../../src/domains/slices.js'

t.test('a slice is a small whole number of hosts', async t => {
  t.ok(Number.isInteger(HOSTS_PER_SLICE) && HOSTS_PER_SLICE > 0 && HOSTS_PER_SLICE <= 1000, String(HOSTS_PER_SLICE))
})

t.test('between slices, what was already waiting runs first', async t => {
  const order: string[] = []
  setImmediate(() => order.push('waiting answer'))
  await nextSlice()
  order.push('next slice')
  t.same(order, ['waiting answer', 'next slice'])
})
