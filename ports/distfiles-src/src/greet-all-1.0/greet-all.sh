#!/bin/sh
# Greet everyone named on the command line with hello (from misc/hello).
for who in "${@:-everyone}"; do
	hello "$who"
done
