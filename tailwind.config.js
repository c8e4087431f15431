/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ['./views/**/*.templ', './views/**/*.go', './checkout/**/*.templ', './static/*.js'],
  theme: {
    extend: {
      colors: {
        // The brand's colours, set by /theme.css (and /embed/theme.css for an app's frame) through CSS
        // variables: the accent, text on the accent, and links on white (both at least 4.5:1).
        accent: 'rgb(var(--accent, 79 70 229) / <alpha-value>)',
        'on-accent': 'rgb(var(--on-accent, 255 255 255) / <alpha-value>)',
        link: 'rgb(var(--link, 67 56 202) / <alpha-value>)',
      },
    },
  },
  plugins: [require('@tailwindcss/forms')],
};
