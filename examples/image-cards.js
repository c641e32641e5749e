// @ts-check
// Pictures for a bot: thumbnails of uploaded photos ($image) and share cards drawn on the fly
// ($draw), with the text in the bundled font, Cyrillic included. Photos arrive in the project's
// storage (the admin UI's file manager, or $storage.write from another route) under uploads/.

/** @type {M3mImage | null} the badge every card carries, drawn once at start and kept */
let badge = null

$service.start(async () => {
  // Made outside any request, so it lives until close(): one canvas reused by every card.
  const canvas = $draw.canvas(96, 96)
    .circle(48, 48, 46, { fill: '#ffcc00', stroke: '#222222', width: 4 })
    .text(48, 26, 'm3m', { size: 30, font: 'sans-bold', align: 'center', color: '#222222' })
  badge = await $image.open(await canvas.toBytes('png'))
  canvas.close()
})

// A square thumbnail and a grey preview of uploads/{name}, saved under thumbs/.
$router.post('/thumbs/:name', async (ctx) => {
  const photo = await $image.open(`uploads/${ctx.params.name}`)
  const original = { width: photo.width, height: photo.height, format: photo.format }
  await photo.resize(256, 256, { fit: 'cover' })
  const square = await photo.save(`thumbs/${ctx.params.name}.jpg`, { quality: 85 })
  await photo.grayscale()
  await photo.blur(1)
  const grey = await photo.save(`thumbs/${ctx.params.name}-grey.jpg`, { quality: 70 })
  photo.close() // freed at the end of the request anyway; closing early keeps the budget low
  return { original, square: square.path, grey: grey.path, bytes: square.size + grey.size }
})

// GET /card?title=...&subtitle=...: a 1200x630 PNG share card.
$router.get('/card', async (ctx) => {
  const title = ctx.query.title || 'Hello from m3m'
  const subtitle = ctx.query.subtitle || ''
  const card = $draw.canvas(1200, 630, { background: '#1e3a5f' })
    .rect(0, 560, 1200, 70, { fill: '#16324f' })
    .roundedRect(60, 60, 1080, 440, 32, { fill: 'white' })
    .line(100, 330, 1100, 330, { color: '#e0e6ee', width: 2 })
  const size = title.length > 40 ? 48 : 64
  const fitted = card.measureText(title, { size, font: 'sans-bold', maxWidth: 900 })
  card.text(600, 200 - fitted.height / 2, title, { size, font: 'sans-bold', color: '#1e3a5f', align: 'center', maxWidth: 900 })
  if (subtitle) {
    card.text(600, 370, subtitle, { size: 36, color: 'slategray', align: 'center', maxWidth: 900 })
  }
  if (badge) {
    await card.image(badge, 1064, 534, 96, 96)
  }
  const png = await card.toBytes('png')
  return $router.response(200, png, { 'content-type': 'image/png', 'cache-control': 'max-age=3600' })
})
