// $smtp: sending mail through the host (binding.py). Runs as the body of function (kernel, data).
// Attachment bytes cross as base64; everything else as the JSON it is.
'use strict';
const Bytes = Uint8Array;
const assign = Object.assign;
const freeze = Object.freeze;
const isArray = Array.isArray;
const { toBase64 } = kernel.bytes;

const send = async (options) => {
  if (options === null || typeof options !== 'object' || isArray(options)) {
    throw new TypeError('$smtp.send: options must be an object');
  }
  const wire = assign({}, options);
  if (isArray(options.attachments)) {
    wire.attachments = options.attachments.map((attachment) => {
      if (attachment && typeof attachment === 'object' && attachment.content instanceof Bytes) {
        const copy = assign({}, attachment);
        copy.contentBase64 = toBase64(attachment.content, 0, attachment.content.length);
        delete copy.content;
        return copy;
      }
      return attachment;
    });
  }
  return freeze(await kernel.callAsync('send', wire));
};

globalThis.$smtp = freeze({ send });
