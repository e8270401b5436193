// A fixed number of tasks at once, each in turn, whatever becomes of the others.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Slots } from '../../src/check/slots.js'

t.test('runs at most its size at once, in the order asked, and frees a slot whatever the outcome', async t => {
  const slots = new Slots(2)
  let running = 0
  let most = 0
  const order: number[] = []
  const task = (index: number, fails = false) => slots.run(async () => {
    running++
    most = Math.max(most, running)
    order.push(index)
    await sleep(10)
    running--
    if (fails) throw new Error(`task ${index} failed`)
    return index
  })
  const outcomes = await Promise.allSettled([task(1), task(2, true), task(3), task(4, true), task(5)])
  t.equal(most, 2)
  t.same(order, [1, 2, 3, 4, 5])
  t.same(outcomes.map(outcome => outcome.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
  t.equal(await slots.run(async () => 'free'), 'free', 'every slot freed')
})
