"""URLs the guard must refuse under ``ALLOWED_PORT_POLICY`` (127.0.0.1 is allowed on port 8080 only).

None of them needs a network: IP literals and ``localhost`` resolve locally, and the others are
refused for their form before any lookup.
"""

from readiness.probes.guard import AddressPolicy, AllowRule

ALLOWED_PORT = 8080
ALLOWED_PORT_POLICY = AddressPolicy(allow=[AllowRule("127.0.0.1", ALLOWED_PORT, "test server", "tests")])

HOSTILE_URLS = [
    # Loopback in the spellings the OS accepts.
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.0.0.1/",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST:80/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    # The allowed address on a port the rule does not cover.
    "http://127.0.0.1:8081/",
    # Cloud metadata, however written.
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
    # Private, shared, link-local, unspecified, multicast and broadcast ranges.
    "http://10.0.0.5/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://198.18.0.1/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://0.0.0.0/",
    "http://0/",
    "https://[::]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    # Userinfo, including the backslash trick that parsers disagree on.
    "http://user@127.0.0.1/",
    "http://user:secret@example.com/",
    "http://127.0.0.1:8080\\@example.com/",
    # Other schemes, and malformed hosts or ports.
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/_GET%20/",
    "ftp://example.com/",
    "dict://127.0.0.1:11211/stats",
    "http:///no-host",
    "http://127.0.0.1:0/",
    "http://127.0.0.1:99999/",
    "http://[fe80::1%25eth0]/",
    "http://exa%20mple.com/",
]
