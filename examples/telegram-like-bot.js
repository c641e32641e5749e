// @ts-check
// A webhook bot: settings from $env, counting with $goals, slow work on $delayed,
// a nightly report on $schedule, signatures with $crypto, and text helpers.
const token = $env.get('BOT_TOKEN', 'dev-token')
const maxLength = Number($env.get('MAX_REPLY', 200))
const features = $env.get('FEATURES', { echo: true })

$service.start(async () => {
  $logger.info('bot ready; echo', features.echo ? 'on' : 'off')
})

$router.post('/webhook/:secret', async (ctx) => {
  const expected = $crypto.hmac('sha256', token, ctx.params.secret)
  if (!$crypto.timingSafeEqual(expected, $crypto.hmac('sha256', token, 'webhook'))) {
    return $router.response(403, { error: 'bad secret' })
  }
  const text = String((ctx.body && ctx.body.text) || '')
  const visitors = await $goals.increment('messages')
  $delayed.run(async () => {
    $logger.debug('stored message', $crypto.sha256(text).slice(0, 12), 'visitor', visitors)
  }, { delayMs: 10 })
  const reply = $strings.truncate($strings.capitalize(text), maxLength, { words: true })
  return { reply, id: $crypto.uuid(), slug: $strings.slugify(text) }
})

$router.get('/stats', async () => {
  const stats = await $goals.get('messages', { from: new Date(Date.now() - 7 * 86400000), to: new Date() })
  return { total: stats.total, days: (stats.daily || []).length }
})

$router.get('/encode/:text', (ctx) => ({
  base64: $encoding.base64Encode(ctx.params.text),
  hex: $encoding.hexEncode(ctx.params.text),
  back: $encoding.base64Decode($encoding.base64Encode(ctx.params.text)),
  query: $encoding.urlEncode({ q: ctx.params.text, page: 2 }),
  bytes: $crypto.randomBytes(4).length,
  snake: $strings.snakeCase(ctx.params.text),
  md5: $crypto.md5(ctx.params.text),
}))

$schedule.daily(async () => {
  const stats = await $goals.get('messages')
  $logger.info('daily report', stats.total)
})
const heartbeat = $schedule.every('5m', () => $logger.debug('still here'))
$schedule.hourly(() => $logger.debug('hourly'))
$schedule.cron('*/15 * * * *', () => $logger.debug('quarter', heartbeat.nextRun()))
