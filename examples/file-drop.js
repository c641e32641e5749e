// @ts-check
// A file drop: services keep what they receive in the project's storage ($storage), the admin
// UI's file manager shows the same files, and a direct link shares one without a login.

$router.post('/notes/:name', async (ctx) => {
  const text = typeof ctx.body === 'string' ? ctx.body : JSON.stringify(ctx.body)
  const entry = await $storage.write(`notes/${ctx.params.name}.txt`, text)
  await $storage.append('notes/index.log', `${new Date().toISOString()} ${entry.path} ${entry.size}\n`)
  return $router.response(201, entry)
})

$router.get('/notes/:name', async (ctx) => {
  const path = `notes/${ctx.params.name}.txt`
  if (!(await $storage.exists(path))) {
    return $router.response(404, { error: 'no such note' })
  }
  return { text: await $storage.read(path), link: await $storage.url(path, { expiresIn: '1h' }) }
})

$router.get('/notes', async () => {
  const entries = await $storage.list('notes', { sort: '-modified' })
  return entries.filter((entry) => entry.type === 'file' && entry.name.endsWith('.txt')).map((entry) => entry.name)
})

// Binary data: a checksum of a file's bytes, and a copy kept aside before the note is removed.
$router.delete('/notes/:name', async (ctx) => {
  const path = `notes/${ctx.params.name}.txt`
  const bytes = await $storage.readBytes(path)
  await $storage.mkdir('trash')
  await $storage.copy(path, `trash/${ctx.params.name}-${Date.now()}.txt`)
  await $storage.delete(path)
  const stat = await $storage.stat('trash')
  return { removed: path, bytes: bytes.length, trash: stat.type }
})

$router.post('/rename/:from/:to', async (ctx) => {
  return $storage.move(`notes/${ctx.params.from}.txt`, `notes/${ctx.params.to}.txt`)
})
