# English as written in Europe: "16 Nov 2026, 08:33", a 24-hour clock, no "a.m."; a no-break
# space after the day keeps it with its month.
DATE_FORMAT = "j\u00a0M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j\u00a0M Y, H:i"
MONTH_DAY_FORMAT = "j\u00a0M"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "j\u00a0M Y"
SHORT_DATETIME_FORMAT = "j\u00a0M Y, H:i"
FIRST_DAY_OF_WEEK = 1
