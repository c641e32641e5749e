/** Greetings from the m3m-hello plugin (an example of a pip-installed plugin). */
declare const $hello: {
  /** "Hello, Ann!" (the start is the hello.greeting setting); a blank or too long name is refused. */
  greet(name: string): { text: string; project: HelloProject['slug'] };
  /** The hello.greeting setting. */
  readonly greeting: string;
};
