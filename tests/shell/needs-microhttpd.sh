#!/bin/sh
# Stands in for the tests against a loopback server where configure found
# no libmicrohttpd.
. "$abs_top_srcdir/tests/lib/tap.sh"
skip_all "test-exporter, test-sources and the loopback collector of export.sh need libmicrohttpd: install libmicrohttpd-dev (or run ./setup), then reconfigure"
