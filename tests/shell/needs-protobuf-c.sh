#!/bin/sh
# Stands in for the tests against protobuf-c where configure found none.
. "$abs_top_srcdir/tests/lib/tap.sh"
skip_all "test-otlp-proto, test-otlp-encode, test-otlp-pb, test-exporter and test-sources need protobuf-c: install libprotobuf-c-dev and protobuf-c-compiler (or run ./setup), then reconfigure"
