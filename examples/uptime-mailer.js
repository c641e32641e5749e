// @ts-check
// An uptime checker that mails its report: $http checks the sites (a timeout each; a network
// failure has a code to tell "down" from "slow"), keeps each check in $storage, and $smtp sends
// the report with the log attached. The mail server comes from the project's SMTP_* variables;
// REPORT_TO says who gets the report.

/** @param {string} url */
const check = async (url) => {
  const started = Date.now()
  try {
    const answer = await $http.get(url, { timeout: '5s', headers: { 'User-Agent': 'm3m-uptime' } })
    return { url, up: answer.ok, status: answer.status, ms: Date.now() - started, problem: null }
  } catch (e) {
    const error = /** @type {Error & { code?: string }} */ (e)
    return { url, up: false, status: 0, ms: Date.now() - started, problem: error.code || error.message }
  }
}

$router.post('/check', async (ctx) => {
  const urls = /** @type {string[]} */ (ctx.body.urls)
  const results = await Promise.all(urls.map(check))
  const lines = results.map((r) => [new Date().toISOString(), r.url, r.up ? 'up' : 'down', r.status, r.ms, r.problem || ''].join(','))
  await $storage.append('uptime/checks.csv', lines.join('\n') + '\n')
  return { results }
})

// A JSON API behind the checker: its answer parsed, or the reason it could not be.
$router.post('/status-page', async (ctx) => {
  try {
    const answer = await $http.request({ url: ctx.body.url, responseType: 'json', timeout: 5 })
    return { status: answer.status, data: answer.json() }
  } catch (e) {
    const error = /** @type {Error & { code?: string }} */ (e)
    return $router.response(502, { problem: error.code || error.message })
  }
})

$router.post('/report', async () => {
  const log = (await $storage.exists('uptime/checks.csv')) ? await $storage.read('uptime/checks.csv') : ''
  const rows = log.trim() ? log.trim().split('\n') : []
  const down = rows.filter((row) => row.split(',')[2] === 'down')
  const sent = await $smtp.send({
    to: $env.get('REPORT_TO', 'ops@example.com'),
    subject: `Uptime: ${rows.length} checks, ${down.length} down`,
    text: down.length ? `Down:\n${down.join('\n')}` : 'Everything was up.',
    html: `<h1>Uptime</h1><p>${rows.length} checks, <b>${down.length}</b> down.</p>`,
    attachments: rows.length ? [{ path: 'uptime/checks.csv', contentType: 'text/csv' }] : [],
  })
  $logger.info(`report ${sent.messageId} sent to ${sent.accepted.join(', ')}`)
  return sent
})
