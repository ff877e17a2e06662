package code_test

import (
	"fmt"

	"github.com/webotp/webotp/verifier/code"
)

func ExampleHOTP() {
	c, _ := code.HOTP([]byte("12345678901234567890"), 1, 6)
	fmt.Println(c)
	// Output: 287082
}
