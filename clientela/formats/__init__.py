"""Date and time formats per language (settings.FORMAT_MODULE_PATH), where Django's own do not
fit a sales team: English is written the European way (en-GB: 07/12/2026, 7 Dec 2026, a 24-hour
clock) and Malay with a 24-hour clock and Monday first. Romanian, Russian and Hungarian use
Django's formats for their language unchanged. English readers of a team in the United States
get the American way (`en_US`, see `core.language.format_language_of`)."""
