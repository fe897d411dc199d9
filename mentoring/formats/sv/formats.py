# Swedish as written in Finland: "16 nov. 2026 kl. 08:33" (a no-break space after the day, as
# in English: a narrow column breaks before the year).
DATE_FORMAT = "j\u00a0b. Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j\u00a0b. Y \\k\\l. H:i"
MONTH_DAY_FORMAT = "j\u00a0b."
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "j\u00a0b. Y"
SHORT_DATETIME_FORMAT = "j\u00a0b. Y \\k\\l. H:i"
FIRST_DAY_OF_WEEK = 1
