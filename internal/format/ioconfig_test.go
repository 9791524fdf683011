package format

import "testing"

func TestIOConfig(t *testing.T) {
	const head = "\nI/O Config:\n\n"
	cases := []struct {
		name   string
		stored *string
		want   string
	}{
		{"NULL", nil, head + "  none\n"},
		{"empty text", ptr(""), head + "  none\n"},
		{"empty object", ptr("{}"), head + "  empty\n"},
		{"JSON null", ptr("null"), head + "  empty\n"},
		{"empty list", ptr("[]"), head + "  empty\n"},
		{"not JSON", ptr("{bad"), head + "INVALID (JSON decode error)\n"},
		{"JSON but not an object", ptr("[1, 2]"), head + "INVALID (JSON decode error)\n"},
		{
			"cli.md §4.6 example",
			ptr(`{"averyveryveryveryverylongkeyname_more_than_30": true, "n": null, "l": [1, "a"], "d": {"x": 1.0}, "f": 1e-7}`),
			head +
				"  averyveryveryveryverylongkeyname_more_than_30: True\n" +
				"                               n: None\n" +
				"                               l: [1, 'a']\n" +
				"                               d: {'x': 1.0}\n" +
				"                               f: 1e-07\n",
		},
		{
			"keys right-justified in code points, values as str()",
			ptr(`{"umask": 18, "dir": "/mnt/x", "rate": 2.5, "inf": Infinity, "日本": "語"}`),
			head + "  umask: 18\n    dir: /mnt/x\n   rate: 2.5\n    inf: inf\n     日本: 語\n",
		},
		{
			"strings inside containers are repr'd",
			ptr(`{"a": "it's", "bb": ["it's", "\u00e9"]}`),
			head + "   a: it's\n  bb: [\"it's\", 'é']\n",
		},
	}
	for _, c := range cases {
		if got := IOConfig(c.stored); got != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.name, got, c.want)
		}
	}
}
