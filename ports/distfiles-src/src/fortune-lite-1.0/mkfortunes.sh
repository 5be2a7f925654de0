#!/bin/sh
# Turn fortunes.txt into a C array.
echo 'static const char *const fortunes[] = {'
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/	"&",/' fortunes.txt
echo '};'
