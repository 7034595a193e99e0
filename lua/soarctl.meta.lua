---@meta

---@class soarctl.Case
---@field number integer
---@field id string
---@field title string
---@field type string
---@field severity "low"|"medium"|"high"|"critical"
---@field status "new"|"active"|"pending"|"closed"
---@field owner string?
---@field role string?
---@field labels string[]
---@field custom table
---@field source any
---@field created number
---@field updated number
---@field closed number?
---@field close_reason string?
---@field dedupe_key string?
---@field parent integer?
---@field sla {due: number, breached: boolean, paused: boolean, pause_while_pending: boolean}?
---@field entries integer

---Cases in the store. Writes are durable on return.
case = {}
---@param fields table title (required), type, severity, status, owner, role, labels,
---  custom, dedupe_key, source, parent, sla_due, sla_pause_pending
---@return soarctl.Case? case
---@return boolean|string deduped_or_err
function case.create(fields) end
---@param ref integer|string
---@return soarctl.Case? case
---@return string? err
function case.get(ref) end
---@param ref integer|string
---@param fields table
---@return soarctl.Case? case
---@return string? err
function case.update(ref, fields) end
---@param ref integer|string
---@param text string
---@param opts {kind: string?, data: any}?
---@return integer? entry
---@return string? err
function case.note(ref, text, opts) end
---@param ref integer|string
---@param name string
---@param data string
---@return string? sha256
---@return string? err
function case.attach(ref, name, data) end
---@param ref integer|string
---@param name string
---@return string? data the bytes (the latest attached under that name)
---@return string? content_type_or_err the media type by extension, or why not
function case.attachment(ref, name) end
---@param ref integer|string
---@param other integer|string
---@param relation "related"|"parent"|"child"|nil
---@return boolean? ok
---@return string? err
function case.link(ref, other, relation) end
---@param ref integer|string
---@param reason string
---@return soarctl.Case? case
---@return string? err
function case.close(ref, reason) end
---@param filters table? status, severity, type, owner, role, label, dedupe_key, parent,
---  created_after, created_before, updated_after, updated_before, sort, ascending, limit, cursor
---@return soarctl.Case[]? cases
---@return string? next_cursor_or_err
function case.search(filters) end
---The case's timeline, oldest first: {no, kind, at, actor, text, data}. A read, not a step.
---@param ref integer|string
---@param opts table? from (entry number, 1 = first), limit (0 = all)
---@return table[]? entries
---@return string? err
function case.timeline(ref, opts) end

---@class soarctl.Indicator
---@field type string
---@field value string
---@field verdict "unknown"|"benign"|"suspicious"|"malicious"
---@field score integer
---@field sources string[]
---@field tags string[]
---@field first_seen number
---@field last_seen number
---@field expires number?
---@field expired boolean
---@field cases integer[]

---Indicators keyed by (type, normalised value).
indicator = {}
---@param type "ipv4"|"ipv6"|"cidr"|"domain"|"url"|"md5"|"sha1"|"sha256"|"email"
---@param value string
---@return soarctl.Indicator? ind
---@return string? err
function indicator.get(type, value) end
---@param type "ipv4"|"ipv6"|"cidr"|"domain"|"url"|"md5"|"sha1"|"sha256"|"email"
---@param value string
---@param opts table? verdict, score, sources, tags, seen, expires (false clears), case
---@return soarctl.Indicator? ind
---@return string? err
function indicator.set(type, value, opts) end
---@param filters table? type, verdict, tag, min_score, limit, cursor
---@return soarctl.Indicator[]? list
---@return string? next_cursor_or_err
function indicator.search(filters) end

-- Definitions only (unused arguments, global tables): nothing here runs.
-- luacheck: ignore

---Strict JSON (RFC 8259). See docs/lua-api.md, "json".
json = {}
---The value that stands for JSON null inside tables (a light userdata).
---@type lightuserdata
json.null = nil
---@class soarctl.JsonEncodeOpts
---@field pretty boolean? newlines and two-space indent
---@field sort_keys boolean? object keys in byte order (stable output)
---@field max_depth integer? nesting limit, 1..1000 (default 128)

---Encodes a value; raises (naming the path, e.g. `$.a[3]`) on NaN, infinities, sparse or
---mixed tables, non-UTF-8 strings, functions, or nesting deeper than max_depth.
---@param value any
---@param opts soarctl.JsonEncodeOpts?
---@return string text
function json.encode(value, opts) end
---Decodes JSON text. Integers beyond +-2^53 come back as strings of their digits.
---@param text string
---@param opts {max_depth: integer?}?
---@return any value nil when the text is not JSON
---@return string? err e.g. "expected ',' or ']', found '}' at offset 17"
function json.decode(text, opts) end
---Marks t (or a new table) to encode as a JSON array, even when empty.
---@generic T: table
---@param t T?
---@return T
function json.array(t) end

---Base64 (RFC 4648), strict when decoding.
base64 = {}
---@param s string
---@param opts {url: boolean?, pad: boolean?}? url: `-_` alphabet, unpadded unless pad=true
---@return string
function base64.encode(s, opts) end
---@param s string
---@param opts {url: boolean?}?
---@return string? bytes
---@return string? err "invalid base64 at offset N"
function base64.decode(s, opts) end

---Hexadecimal.
hex = {}
---@param s string
---@return string lowercase hex
function hex.encode(s) end
---@param s string
---@return string? bytes
---@return string? err "invalid hex at offset N"
function hex.decode(s) end

---Digests, HMAC, random bytes, constant-time comparison.
crypto = {}
---@param s string
---@param opts {raw: boolean?}?
---@return string digest lowercase hex, or 32 raw bytes with raw=true
function crypto.sha256(s, opts) end
---@param s string
---@param opts {raw: boolean?}?
---@return string digest
function crypto.sha1(s, opts) end
---@param s string
---@param opts {raw: boolean?}?
---@return string digest
function crypto.md5(s, opts) end
---@param key string
---@param msg string
---@param opts {raw: boolean?}?
---@return string mac lowercase hex, or raw bytes
function crypto.hmac_sha256(key, msg, opts) end
---@param n integer 0..1048576
---@return string? bytes
---@return string? err "unavailable"
function crypto.random(n) end
---Compares in time that depends only on the lengths.
---@param a string
---@param b string
---@return boolean
function crypto.equal(a, b) end

---RFC 9562 UUIDs, lowercase canonical form.
uuid = {}
---@return string
function uuid.v4() end
---Time-ordered; ids from one thread strictly increase.
---@return string
function uuid.v7() end
---@param s string
---@return boolean
function uuid.valid(s) end

---Times are Unix seconds (numbers). Zones: "Z"/"UTC", "+02:00", or IANA names.
time = {}
---@return number seconds since the epoch, to the microsecond
function time.now() end
---@param t number? default now
---@param opts {ms: boolean?, us: boolean?, tz: string?}?
---@return string? text e.g. "2026-11-27T21:30:07Z"
---@return string? err "unknown time zone"
function time.iso(t, opts) end
---@param s string ISO 8601 / RFC 3339
---@param opts {tz: string?}? zone for text without an offset (default UTC)
---@return number? seconds
---@return string? err e.g. "day out of range"
function time.parse(s, opts) end

---PCRE2 regular expressions. Flags: i, m, s, x, u.
re = {}
---@param subject string
---@param pattern string
---@param flags string?
---@return string|false|nil ... captures (false for a group that took no part), or the
---  whole match; nil when nothing matches; nil, "match limit exceeded" on runaway patterns
function re.match(subject, pattern, flags) end
---@param subject string
---@param pattern string
---@param flags string?
---@param init integer?
---@return integer|nil start 1-based
---@return integer|string|nil end_or_err inclusive end, or the error
---@return string|false ... captures
function re.find(subject, pattern, flags, init) end
---@param subject string
---@param pattern string
---@param flags string?
---@return fun(): string|false|nil, ...
function re.gmatch(subject, pattern, flags) end
---@param subject string
---@param pattern string
---@param repl string|table|fun(...: string|false): (string|number|false|nil) "$1", "${name}", "$$"
---@param flags string?
---@return string? result
---@return integer|string count_or_err
function re.gsub(subject, pattern, repl, flags) end
---@param subject string
---@param pattern string
---@param flags string?
---@return string[]? pieces
---@return string? err
function re.split(subject, pattern, flags) end

-- ---- http, integration, edl, slack, email (docs/lua-api.md, docs/integrations.md) ----

---@class HttpResponse
---@field status integer
---@field headers table<string, string> lowercase names
---@field body string
---@field json any decoded when the content type is JSON
---@field json_error string?
---@field url string after redirects
---@field attempts integer

---@class HttpRequest
---@field method string? default "GET"
---@field url string
---@field headers table<string, string>?
---@field query table<string, string|number|boolean>?
---@field json any?
---@field form table<string, string|number|boolean>?
---@field body string?
---@field timeout number? seconds per attempt (30)
---@field connect_timeout number? seconds (10)
---@field retries integer? on 429/5xx (2)
---@field bearer string?
---@field basic table|string? {user=, password=} or "user:password"
---@field max_bytes integer? (16 MiB)
---@field follow integer|boolean? redirects to follow (0)
---@field ca_file string? PEM bundle

http = {}
---@param req HttpRequest
---@return HttpResponse? response
---@return string? err "timeout"|"refused"|"dns"|"tls"|"too_large"|"denied"|"http"
---@return string? detail
function http.request(req) end
---@param url string
---@param opts table?
---@return HttpResponse?, string?, string?
function http.get(url, opts) end
---@return HttpResponse?, string?, string?
function http.post(url, opts) end
---@return HttpResponse?, string?, string?
function http.put(url, opts) end
---@return HttpResponse?, string?, string?
function http.delete(url, opts) end

---@param name string
---@param opts {mock: boolean?, fixture: string?, config: table?}?
---@return table object whose commands are steps: obj.cmd{...}
function integration(name, opts) end

edl = {}
---@param list string
---@param value string
---@param opts {ttl: number?, comment: string?, type: "ip"|"domain"|"url"|nil, cap: integer?}?
---@return boolean? added
---@return string? reason
function edl.add(list, value, opts) end
---@return boolean? removed
---@return string? reason
function edl.remove(list, value) end
---@return boolean? has
---@return string? reason
function edl.has(list, value) end
---@param opts {limit: integer?, after: string?}?
---@return {value: string, added: number, expires: number?, comment: string?}[] entries
---@return string? after the next page's cursor
function edl.list(list, opts) end
---@return string? path
---@return number|string count_or_err
function edl.export(list) end

slack = {}
---@param msg {channel: string?, text: string?, blocks: table?, thread_ts: string?}
---@return {ok: boolean, channel: string, ts: string}?, string?, string?
function slack.post(msg) end
---@param p {channel: string?, prompt_id: string, question: string, options: string[]}
---@return {ok: boolean, channel: string, ts: string}?, string?, string?
function slack.prompt(p) end
---@return table blocks
function slack.buttons(prompt_id, question, options) end
---@param r {secret: string, timestamp: string, body: string, signature: string}
---@return boolean ok
---@return string? why
function slack.verify(r) end

email = {}
---@param m {from: string?, to: string|string[], cc: string|string[]|nil, bcc: string|string[]|nil, reply_to: string?, subject: string?, text: string?, html: string?, attachments: ({name: string, content: string, type: string?}|{case: integer|string, name: string, type: string?})[]?}
---@return {id: string, recipients: integer, mock: boolean?}?
---@return string? err
---@return string? detail
function email.send(m) end

-- ---------------------------------------------------------------------------
-- log, durable-run steps, prompts, tasks, composition (docs/lua-api.md)
-- ---------------------------------------------------------------------------

---@class log
log = {}
---@param message any
---@param fields? table  encoded as JSON into the record
function log.debug(message, fields) end
---@param message any
---@param fields? table
function log.info(message, fields) end
---@param message any
---@param fields? table
function log.warn(message, fields) end
---@param message any
---@param fields? table
function log.error(message, fields) end

--- A random number, as a journaled step (a resumed run gets the same value).
---@param m? integer
---@param n? integer
---@return number
function random(m, n) end

--- A random element of a list, as a journaled step.
---@generic T
---@param list T[]
---@return T value
---@return integer index
function pick(list) end

--- A durable sleep: in place up to 10 s, else the run waits (exit code 3).
---@param seconds number
function sleep(seconds) end

--- A durable wait until a time (epoch seconds or ISO 8601 text).
---@param time number|string
function wait_until(time) end

---@class TaskInfo
---@field name string
---@field path string
---@field owner? string
---@field role? string
---@field due? number  ms since the epoch, when an SLA was given

--- Runs fn as a named task with its own owner, role and SLA.
---@param name string
---@param fn fun(info: TaskInfo): ...
---@param opts? {owner?: string, role?: string, sla?: number, on_breach?: table, minutes_saved?: number}
---@return ...
function task(name, fn, opts) end

--- Calls fn(attempt) until it succeeds; durable sleeps between attempts.
---@param fn fun(attempt: integer): ...
---@param opts? {attempts?: integer, backoff?: number, on?: string[]}
---@return ...
function retry(fn, opts) end

---@class PromptAnswer
---@field value any      the chosen option, or the form's fields
---@field by string      who answered ("timeout" when the default was taken)
---@field at string      when (ISO 8601)
---@field timed_out? boolean

---@class prompt
prompt = {}
---@alias PromptFieldType "string"|"text"|"number"|"integer"|"boolean"|"choice"|"choices"|"date"
---@class PromptField
---@field name? string   (in the list form)
---@field type PromptFieldType
---@field label? string
---@field help? string
---@field default? any
---@field required? boolean  default true (false for boolean and choices)
---@field options? string[]  choice, choices

---@class PromptSpec
---@field question string
---@field options? string[]      one choice: the answer's value is the option
---@field fields? table<string, PromptFieldType|PromptField>|PromptField[]  a form
---@field to? string             user or role that may answer
---@field timeout? number|string seconds or "90s"/"30m"/"2h"/"1d"
---@field default? any           the answer a timeout takes (else the step fails)
---@field notify? {slack?: {channel: string}, email?: {to: string|string[]}}
---@field remind? number|string  every DURATION until answered (needs notify)
---@field escalate? {after: number|string, to: string}

--- Asks a person; the run waits (holding no interpreter) until answered.
---@param spec PromptSpec
---@return PromptAnswer
function prompt.ask(spec) end
--- Creates the prompt (delivered as `notify` says) without waiting: the id and
--- a link to its form (a per-prompt token; whoever holds it answers) first.
---@param spec PromptSpec
---@return {id: string, url: string?, expires: number}
function prompt.create(spec) end
--- Waits for a prompt this run created; the answer as prompt.ask gives it.
---@param id string
---@return PromptAnswer
function prompt.wait(id) end

---Secrets granted to this playbook (`soarctl secret grant NAME --playbook PLAYBOOK`).
---The value is scrubbed from everything the run writes out. Not a step.
secret = {}
---@param name string 1 to 160 characters
---@return string? value
---@return "denied"|"not_found"|"error"|nil kind
---@return string? err
function secret.get(name) end

---@class playbook
playbook = {}
--- Runs another playbook inside this run (its steps join this run's journal).
---@param name string
---@param input? table
---@return any
function playbook.call(name, input) end
--- Starts a separate child run, optionally on a new child case.
---@param name string
---@param input? table
---@param opts? {case?: table|string}
---@return string child_run_id
---@return string|nil case_id
function playbook.start(name, input, opts) end
