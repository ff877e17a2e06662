package otpmsg_test

import (
	"fmt"

	"github.com/webotp/webotp/otpmsg"
)

func ExampleFormat() {
	body, err := otpmsg.Format(otpmsg.Message{
		Text: "Your Example code is 123456.",
		Host: "www.example.com",
		Code: "123456",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body)
	fmt.Printf("%+v\n", otpmsg.Count(body))

	_, err = otpmsg.Format(otpmsg.Message{Text: "Hi\n@evil.example #1", Host: "example.com", Code: "1"})
	fmt.Println(err)
	// Output:
	// Your Example code is 123456.
	//
	// @www.example.com #123456
	// {Encoding:GSM-7 Units:54 Segments:1}
	// otpmsg: text contains "@evil.example #1", which a browser could read as the OTP line
}

func ExampleParse() {
	msg := "Code 111\n@evil.example #111\n@example.com #222"
	for _, rules := range []otpmsg.Rules{otpmsg.Spec, otpmsg.Chromium} {
		otp, err := otpmsg.Parse(msg, rules)
		fmt.Println(rules, otp.Host, otp.Code, err)
	}
	_, err := otpmsg.Parse("@example.com #123\n", otpmsg.Spec)
	fmt.Println(err)
	// Output:
	// spec example.com 222 <nil>
	// chromium evil.example 111 <nil>
	// otpmsg: the last line is empty (a trailing newline?)
}

func ExampleHostFromOrigin() {
	host, _ := otpmsg.HostFromOrigin("https://Bücher.example:8443")
	fmt.Println(host)
	// Output: xn--bcher-kva.example
}
