package codec_test

import (
	"fmt"

	"github.com/upcase-gnet/upcase-gnet/codec"
)

func ExampleUpper() {
	fmt.Printf("%q\n", codec.Upper([]byte("capitalize this! ß\x00z")))
	// Output: "CAPITALIZE THIS! ß\x00Z"
}
