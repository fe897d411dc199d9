# Swedish as written in Finland: "16 nov. 2026 kl. 08:33".
DATE_FORMAT = "j b. Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = r"j b. Y \k\l. H:i"
MONTH_DAY_FORMAT = "j b."
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "j b. Y"
SHORT_DATETIME_FORMAT = r"j b. Y \k\l. H:i"
FIRST_DAY_OF_WEEK = 1
