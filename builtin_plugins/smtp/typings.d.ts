/** A file sent with a mail: bytes or text given here, or a file of `$storage` by its path. */
type SmtpAttachment =
  | { filename: string; content: string | Uint8Array; contentType?: string }
  | { path: string; filename?: string; contentType?: string };

/**
 * Sending mail, through the server of the `[smtp]` settings or the project's own variables
 * (`SMTP_HOST`, `SMTP_PORT`, `SMTP_USERNAME`, `SMTP_PASSWORD`, `SMTP_STARTTLS`, `SMTP_TLS`,
 * `SMTP_FROM`, read when the service starts; a project that names its own host, port or TLS sends
 * its own SMTP_USERNAME/SMTP_PASSWORD, never the server's). A failure rejects with an Error whose
 * `code` says which: `smtp_not_configured`, `validation_failed` (with `fields`: a bad address, a
 * line break in the subject...), `dns`, `refused`, `denied` (the project's server is at an address
 * services may not reach, as for $http), `timeout`, `tls`, `smtp_auth`, `smtp_rejected` (every
 * recipient refused), `smtp` (another answer of the server), `too_large` (smtp.max_message).
 */
declare const $smtp: {
  send(message: {
    /** "ann@example.com", "Ann <ann@example.com>", or several (an array, or comma-separated). */
    to?: string | string[];
    cc?: string | string[];
    /** Receives the mail without appearing in it. */
    bcc?: string | string[];
    /** Default: smtp.from, or the project's SMTP_FROM. */
    from?: string;
    replyTo?: string | string[];
    /** One line (a line break is refused). */
    subject?: string;
    /** The plain-text body; with `html` too, mail programs choose which to show. */
    text?: string;
    html?: string;
    /** More headers (e.g. `X-Campaign`); those the options set (To, Subject...) cannot be given here. */
    headers?: Record<string, string>;
    attachments?: SmtpAttachment[];
  }): Promise<{
    /** The Message-ID header of the mail, e.g. `<...@example.com>`. */
    messageId: string;
    /** Recipients (to, cc, bcc) the server took. */
    accepted: string[];
    /** Recipients the server refused while taking the others. */
    rejected: string[];
  }>;
};
