// @ts-check
// A task board on two data models ($database): `people` and `tasks` (examples/tasks-board.models.json
// has their definitions; create them in the project's Data section or with POST .../models).
// Values from the request reach filters as bound {:name} params, never spliced into the text.

$router.post('/people', async (ctx) => {
  try {
    const person = await $database.people.insert({ name: ctx.body.name, email: ctx.body.email ?? null })
    return $router.response(201, person)
  } catch (e) {
    // A refused write names every failing field: { name: { code, message }, ... }
    return $router.response(e.status ?? 500, { error: e.message, fields: e.fields })
  }
})

$router.post('/tasks', async (ctx) => {
  const owner = ctx.body.ownerEmail ? await $database.people.findOne('email = {:email}', { email: ctx.body.ownerEmail }) : null
  try {
    const task = await $database.tasks.insert({
      title: ctx.body.title,
      owner: owner ? owner.id : null,
      labels: ctx.body.labels ?? [],
      points: ctx.body.points ?? null,
      due: ctx.body.due ?? null,
    })
    return $router.response(201, task)
  } catch (e) {
    return $router.response(e.status ?? 500, { error: e.message, fields: e.fields })
  }
})

$router.get('/tasks', async (ctx) => {
  const q = String(ctx.query.q ?? '')
  const tasks = await $database.tasks.find(
    'status = {:status} && (title ~ {:q} || owner.name ~ {:q})',
    { status: String(ctx.query.status ?? 'open'), q },
    { sort: 'due,-points', perPage: 50, expand: 'owner' },
  )
  return tasks.map((task) => ({
    id: task.id,
    title: task.title,
    owner: task.expand && task.expand.owner ? task.expand.owner.name : null,
    labels: task.labels,
    due: task.due,
  }))
})

$router.post('/tasks/:id/done', async (ctx) => {
  const task = await $database.tasks.get(ctx.params.id)
  if (!task) {
    return $router.response(404, { error: 'no such task' })
  }
  // With the revision read above, a task changed meanwhile is refused (409), not overwritten.
  const done = await $database.tasks.update(task.id, { status: 'done' }, { revision: task.revision })
  return { id: done.id, status: done.status, revision: done.revision }
})

$router.get('/stats', async () => {
  const [open, done, bugs] = await Promise.all([
    $database.tasks.count('status = "open"'),
    $database.tasks.count('status = "done"'),
    $database.tasks.count('labels ?= {:label}', { label: 'bug' }),
  ])
  /** @type {number} */
  const people = await $database.people.count()
  return { open, done, bugs, people }
})

$router.delete('/tasks/:id', async (ctx) => {
  await $database.tasks.delete(ctx.params.id)
  return $router.response(204, null)
})
