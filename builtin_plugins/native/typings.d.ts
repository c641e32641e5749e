// Native plugins: the server adds a `declare const $<name>` for each library this project may
// use, from the library's manifest (builtin_plugins/native/catalogue.py). Each function returns
// a Promise; a failed call rejects with an Error whose `code` is 'plugin_error'.
