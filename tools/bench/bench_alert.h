/* bench_alert.h - the typical alert the JSON benchmarks share (bench_json.c,
 * bench_json_cjson.c): about 1.2 KB, nested objects, arrays, strings with escapes
 * and non-ASCII, integers (two beyond 2^53 / 15 digits), fractions, a boolean. */
#ifndef SOAR_BENCH_ALERT_H
#define SOAR_BENCH_ALERT_H

static const char alert[] =
	"{\"type\":\"connection\",\"source\":\"edge-fw-03.example.net\",\"severity\":\"medium\","
	"\"time\":\"2026-11-30T08:12:45.123Z\",\"src_ip\":\"203.0.113.77\",\"src_port\":51544,"
	"\"dst_ip\":\"10.20.30.40\",\"dst_port\":8333,\"proto\":\"tcp\",\"bytes_in\":48213,"
	"\"bytes_out\":1934,\"duration_s\":12.75,\"score\":0.8375,\"blocked\":true,\"rule_id\":4012,"
	"\"rule\":\"Inbound to crypto-mining port\",\"tags\":[\"inbound\",\"mining\",\"tcp\",\"edge\"],"
	"\"geo\":{\"country\":\"DE\",\"city\":\"M\\u00fcnchen\",\"asn\":3320,\"org\":\"Deutsche Telekom AG\","
	"\"lat\":48.1374,\"lon\":11.5755},"
	"\"user\":{\"name\":\"j.doe\",\"domain\":\"CORP\",\"groups\":[\"staff\",\"vpn-users\"]},"
	"\"host\":{\"name\":\"ws-0421\",\"os\":\"Windows 11 Pro\",\"ip\":\"10.20.30.40\","
	"\"mac\":\"00:1a:2b:3c:4d:5e\",\"agent_version\":\"7.14.2\"},"
	"\"http\":{\"method\":\"GET\",\"url\":\"https://pool.example.org/stratum?worker=ws-0421&v=2\","
	"\"user_agent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36\","
	"\"status\":403},"
	"\"message\":\"Connection blocked: \\\"stratum+tcp\\\" handshake seen\\nfrom 203.0.113.77 \\u2192 ws-0421\","
	"\"raw\":\"<134>1 2026-11-30T08:12:45Z edge-fw-03 fw 4012 - - action=block src=203.0.113.77 "
	"dst=10.20.30.40 dport=8333\","
	"\"related\":[{\"id\":\"a-77311\",\"kind\":\"dns\",\"query\":\"pool.example.org\"},"
	"{\"id\":\"a-77312\",\"kind\":\"proxy\",\"bytes\":1024}],"
	"\"vendor_id\":1234567890123456,\"seq\":9007199254740993}";

#endif
