// A new m3m service. Save it to create the branch "develop", release it, then start it.
// Routes answer at {server}/bot-{project}/..., e.g. /bot-my-project/hello/alice

$service.boot(async () => {
  $logger.info('booting')
})

$service.start(async () => {
  $logger.info('started')
})

$service.shutdown(async () => {
  $logger.info('stopping')
})

$router.get('/hello/:name', async (ctx) => {
  return { hello: ctx.params.name }
})

$router.post('/echo', async (ctx) => {
  return $router.response(200, { received: ctx.body })
})
