// @ts-check
// A small API: lifecycle, routes with params, query and body, logging.
const started = { at: 0 }

$service.boot(async () => {
  $logger.info('booting')
})

$service.start(async () => {
  started.at = Date.now()
  console.log('started at', new Date(started.at).toISOString())
})

$service.shutdown(async () => {
  $logger.warn('stopping after', Date.now() - started.at, 'ms')
})

$router.get('/hello/:name', async (ctx) => ({ hello: ctx.params.name, page: Number(ctx.query.page || 1) }))

$router.post('/echo', async (ctx) => {
  if (!ctx.body) {
    return $router.response(400, { error: 'send a JSON body' })
  }
  return $router.response(201, { received: ctx.body, from: ctx.ip }, { 'X-Echo': '1' })
})

$router.all('/health', () => ({ ok: true }))

const timer = setTimeout(() => $logger.debug('a timer fired'), 10)
clearTimeout(timer)
$logger.info(btoa('m3m'), new URL('https://example.com/a?b=1').searchParams.get('b'))
