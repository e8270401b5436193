import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'build/**', 'coverage/**', '.tap/**']
  }),
  // As in Fastify's own eslint.config.js: long strings, templates, regular
  // expressions, URLs and comments aside, a line fits on a screen.
  {
    rules: {
      'max-len': ['error', {
        code: 120,
        tabWidth: 2,
        ignoreUrls: true,
        ignoreStrings: true,
        ignoreTemplateLiterals: true,
        ignoreRegExpLiterals: true,
        ignoreComments: true,
        ignoreTrailingComments: true
      }]
    }
  }
]
