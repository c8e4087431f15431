/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ['./views/**/*.templ', './views/**/*.go', './checkout/**/*.templ', './static/*.js'],
  theme: {
    extend: {
      colors: {
        // The embed accent colour; overridden per embedded session through a CSS variable.
        accent: 'rgb(var(--accent, 79 70 229) / <alpha-value>)',
      },
    },
  },
  plugins: [require('@tailwindcss/forms')],
};
