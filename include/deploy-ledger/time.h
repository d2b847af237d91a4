/* Time: integer nanoseconds since the Unix epoch; RFC 3339 at the edges. */
#ifndef DL_TIME_H
#define DL_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* "No time recorded" (a deployment not yet completed). */
#define DL_TIME_NONE INT64_MIN

/* Longest text dl_time_format writes, with its terminating NUL. */
#define DL_TIME_TEXT_SIZE 36

/* The current wall-clock time. */
int64_t dl_time_now(void);

/* Parses an RFC 3339 timestamp such as "2024-01-15T10:30:00.5+01:00"
   (fraction up to 9 digits, `Z' or a numeric offset) into *NS.  Every
   instant int64 nanoseconds hold is accepted, from
   1677-09-21T00:12:43.145224193Z to 2262-04-11T23:47:16.854775807Z
   (DL_ERANGE beyond; the very first nanosecond is DL_TIME_NONE).  A leap
   second (second 60, as RFC 3339 allows) is read as the first second of
   the next minute, as POSIX time counts it. */
int dl_time_parse(const char *text, int64_t *ns, dl_error *err) DL_MUST_CHECK;

/* Writes NS as RFC 3339 in UTC with as many fraction digits as needed
   (none, 3, 6 or 9).  BUF holds at least DL_TIME_TEXT_SIZE bytes. */
char *dl_time_format(int64_t ns, char *buf);

/* Parses a duration such as "90s", "15m", "2h", "7d", "500ms" or "1h30m"
   into nanoseconds. */
int dl_duration_parse(const char *text, int64_t *ns, dl_error *err) DL_MUST_CHECK;

/* A duration as people read it: "42s", "3m05s", "2h10m", "3d04h"; a
   negative one with a '-'.  Any int64 value.  BUF holds 32. */
char *dl_duration_format(int64_t ns, char *buf);

/* END - START as dl_duration_format writes it, for any two times: the
   difference of two times far apart does not fit in int64 (1677 to 2262
   is 584 years), and is then formatted from whole seconds. */
char *dl_duration_between(int64_t start, int64_t end, char *buf);

/* END - START, or INT64_MAX (INT64_MIN) when it is larger (smaller) than
   int64 holds: for figures where "as long as can be" is the honest
   answer, never a wrapped negative. */
int64_t dl_time_sub_saturated(int64_t end, int64_t start);

#endif
