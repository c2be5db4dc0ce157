"""The one secret classification and the masker every output goes through."""
import random
import re
import string
import time

import pytest

from symphony.core.secrets import (
    MASK,
    Masker,
    is_secret,
    is_secret_name,
    is_secrets_fragment,
    secret_values,
    url_has_password,
)


@pytest.mark.parametrize("key", [
    "SECRET_KEY_BASE", "DB_PASSWD", "PASSWORD_PEPPER", "GITHUB_TOKEN_RO", "SMTP_CREDENTIALS",  # ISSUE 11
    "POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_PASS", "JWT_SECRET", "LLM_API_KEY", "API_KEY", "PASSWORD",
    "DB_PWD", "AWS_SECRET_ACCESS_KEY", "OPENAI_APIKEY", "SSH_PRIVATE_KEY", "CLIENT_SECRETS", "db_password",
    "DBPASSWORD", "OAUTH_CLIENTSECRET", "AUTHTOKEN", "SIGNING_KEYS", "HASH_SALT", "GPG_PASSPHRASE", "REDIS_CREDS",
])
def test_secret_names(key):
    assert is_secret_name(key)


@pytest.mark.parametrize("key", [
    "TLS_KEY_PATH", "TLS_CERT_PATH", "POSTGRES_PASSWORD_FILE", "SECRETS_DIR", "JWT_SECRET_FILENAME",
    "LOG_LEVEL", "MONKEY_BUSINESS", "BYPASS_CACHE", "COMPASS_URL", "KEYCLOAK_URL", "TOKENIZER_MODEL", "PUBLIC_URL", "",
])
def test_not_secret_names(key):
    assert not is_secret_name(key)


def test_secrets_fragments():
    assert is_secrets_fragment("common/secrets.env") and is_secrets_fragment("prod.secrets.env")
    assert is_secrets_fragment("/home/me/my-secrets.env") and not is_secrets_fragment("common/base.env")


# The old definition of "a URL with a password", kept here as the reference: it is right, only slow.
REFERENCE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")


def test_url_with_password_agrees_with_the_reference_pattern():
    rnd = random.Random(11)
    alphabet = "ab1+.-:/@ \tx"
    for _ in range(20000):
        s = "".join(rnd.choices(alphabet, k=rnd.randint(0, 24)))
        assert url_has_password(s) == bool(REFERENCE.search(s)), s


def test_url_with_password_is_linear():
    start = time.perf_counter()
    for value in ["a" * 10_000_000, "x://" * 2_500_000, "a:" * 5_000_000, "a://" + "b:" * 5_000_000,
                  "a" * 5_000_000 + "://u:p" + "q" * 5_000_000]:
        url_has_password(value)
    assert time.perf_counter() - start < 5


def masker(*values):
    m = Masker()
    m.add(values)
    return m


def test_long_secrets_are_masked_anywhere_short_ones_as_whole_tokens():
    m = masker("hunter2-long", "q7", "abc")
    assert m.mask("pw=hunter2-long!") == f"pw={MASK}!"
    assert m.mask("postgres://u:q7@db") == f"postgres://u:{MASK}@db"
    assert m.mask("q7") == MASK and m.mask("'abc'") == f"'{MASK}'"
    assert m.mask("aq7b abcd xabc q7x") == "aq7b abcd xabc q7x"  # inside words: noise, not secrets


def test_overlapping_secrets_are_masked_whole():
    m = masker("abcdefgh", "efghijkl")
    assert m.mask("xxabcdefghijklxx") == f"xx{MASK}xx"


def test_masking_20000_secrets_is_linear():
    rnd = random.Random(5)
    secrets = [f"canary-secret-{i:05d}-{rnd.random()}" for i in range(10000)]
    secrets += ["".join(rnd.choices(string.ascii_letters, k=12)) for _ in range(10000)]
    m = masker(*secrets)
    lines = [f"K{i}={s} and more text" for i, s in enumerate(secrets)]
    start = time.perf_counter()
    out = [m.mask(line) for line in lines]
    elapsed = time.perf_counter() - start
    assert all(line == f"K{i}={MASK} and more text" for i, line in enumerate(out))
    assert elapsed < 5, f"{elapsed:.1f}s"


# README "Secrets": a key with a secret word among its parts, or a value that is a URL with a password
@pytest.mark.parametrize("key, value, secret", [
    ("PASSWORD", "x", True), ("SECRET", "x", True), ("TOKEN", "x", True), ("KEY", "x", True), ("PASS", "x", True),
    ("DATABASE_URL", "postgres://app:pw@db:5432/app", True), ("BROKER", "amqp://guest:guest@mq/", True),
    ("DATABASE_URL", "postgres://db:5432/app", False), ("LOG_LEVEL", "info", False), ("LOG_LEVEL", None, False),
    ("LOG_LEVEL", "", False), ("TLS_KEY_PATH", "/run/secrets/tls.key", False),
])
def test_a_name_or_a_url_with_a_password_makes_a_value_secret(key, value, secret):
    assert is_secret(key, value) is secret


def test_the_values_to_mask_are_the_secret_ones_that_are_set():
    env = {"DB_PASSWORD": "hunter2", "DB_URL": "postgres://u:pw@db/x", "LOG_LEVEL": "info", "API_TOKEN": "",
           "PUBLIC_URL": "https://example.org/"}
    assert secret_values(env) == ["hunter2", "postgres://u:pw@db/x"]


@pytest.mark.parametrize("value", ["://user:pw@host", "://user:pw@hosta", "-://u:p@x", "+.://u:p@x1",
                                   "x://user:pw@host", "1x://u:p@h", "see ://u:p@h or y://u:p@h"])
def test_a_url_needs_a_scheme_that_starts_with_a_letter(value):
    assert url_has_password(value) == bool(REFERENCE.search(value))


def test_a_secrets_fragment_is_known_by_its_file_name_at_any_depth():
    assert is_secrets_fragment("env/profiles/prod/secrets.env")
    assert is_secrets_fragment("env/profiles/prod/db_secrets.env")
    assert not is_secrets_fragment("env/secrets/base.env")


def test_a_short_secret_that_begins_a_longer_one_is_masked_too():
    m = masker("pw", "pwd9")
    assert m.mask("a pw b pwd9 c") == f"a {MASK} b {MASK} c"


def test_a_secret_of_six_characters_is_masked_anywhere():
    assert masker("abc123").mask("xabc123y") == f"x{MASK}y"


def test_a_secret_that_extends_another_is_masked_whole():
    m = masker("abcdefgh", "abcdefghij")
    assert m.mask("abcdefghij!") == f"{MASK}!" and m.mask("abcdefgh!") == f"{MASK}!"


def test_secrets_next_to_each_other_are_one_mask():
    assert masker("abcdefgh", "ijklmnop").mask("=abcdefghijklmnop=") == f"={MASK}="


def test_secrets_registered_later_are_masked_too():
    m = masker("first-secret")
    assert m.mask("first-secret") == MASK
    m.add(["second-secret"])
    assert m.mask("first-secret second-secret") == f"{MASK} {MASK}"


def test_whitespace_is_no_secret_and_text_without_secrets_is_left_alone():
    only_blank = masker("   ", "\t")
    assert only_blank.mask("a \t b :   : c") == "a \t b :   : c" and len(only_blank) == 0
    text = "postgres://u@db -- ok, (x) [y]"  # a user name is no secret
    assert masker("hunter2-long").mask(text) == text      # only long secrets registered
    assert masker("q7").mask(text) == text                # only short ones


@pytest.mark.parametrize("text,masked", [
    ("postgres://u:p@db/x", "postgres://u:******@db/x"),         # a password, whatever is registered
    ("git+https://ci:t0k@h/r.git and amqp://a:b:c@mq", "git+https://ci:******@h/r.git and amqp://a:******@mq"),
    ("https://ghp_abc@github.com/o/r", "https://******@github.com/o/r"),  # http(s) userinfo alone: a token
    ("git+https://ghp_abc@h/r and a+b+http://tok@h", "git+https://******@h/r and a+b+http://******@h"),
    ("ssh://git@github.com/o/r", "ssh://git@github.com/o/r"),    # elsewhere a user name alone is no secret
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ("pg://u:@db", "pg://u:@db"),                                # an empty password
    ("1://u:p@db", "1://u:p@db"),                                # no scheme: a scheme has a letter
    ("https://h/p?next=a:b@c", "https://h/p?next=a:b@c"),        # past the host: no userinfo
])
def test_credentials_in_urls_are_masked_in_any_text(text, masked):
    assert masker().mask(text) == masked
    assert masker("unrelated-secret").mask(text) == masked


def test_a_token_in_a_url_is_masked_but_only_a_password_makes_the_value_secret():
    """The secret rule (3) is a URL with a password; a bare token is masked wherever it is printed."""
    assert not url_has_password("https://ghp_abc@github.com/o/r") and url_has_password("https://u:p@h/")


def test_each_line_of_a_multi_line_secret_is_masked_where_an_output_splits_it():
    """A log prints a multi-line value line by line; the engine joins its lines with "; "."""
    m = masker("line-one-of-it\nline-two-of-it\r\nok")
    assert m.mask("svc | line-one-of-it\nsvc | line-two-of-it") == f"svc | {MASK}\nsvc | {MASK}"
    assert m.mask("unable to find user line-one-of-it; line-two-of-it") == f"unable to find user {MASK}; {MASK}"


def test_a_short_line_of_a_multi_line_secret_does_not_mask_common_text():
    """A JSON credential's `{` and `}` lines (and `ok`) alone would blank out every brace."""
    m = masker('{\n  "private_key": "k3y-material"\n}')
    assert m.mask("{ ok } and {}") == "{ ok } and {}"
    assert m.mask('got  "private_key": "k3y-material" here') == f"got  {MASK} here"


def test_a_secret_is_masked_trimmed_and_as_repr_or_json_escape_it():
    assert masker("  spaced-secret  ").mask("[spaced-secret]") == f"[{MASK}]"
    backslash = "secret\\x"
    assert masker(backslash).mask(f"user {backslash!r}") == f"user '{MASK}'"
    quoted = 'sec"ret-\'value'
    import json
    assert MASK in masker(quoted).mask(json.dumps({"v": quoted})) and "ret-" not in masker(quoted).mask(
        json.dumps({"v": quoted}))
    assert masker("multi-line-one\nmulti-line-two").mask(repr("multi-line-one\nmulti-line-two")) == f"'{MASK}'"
    unicode = "şifre-gizli-ü"
    assert masker(unicode).mask(json.dumps(unicode)) == f'"{MASK}"'


def test_the_lines_of_a_secret_split_by_carriage_returns_alone_are_masked_too():
    m = masker("old-mac-line-one\rold-mac-line-two")
    assert m.mask("got old-mac-line-two") == f"got {MASK}"


def test_a_line_of_exactly_six_characters_is_masked_anywhere():
    assert masker("abcdef\nsecond-line-of-it").mask("unable to find user xabcdefx") == f"unable to find user x{MASK}x"


def test_a_secret_is_masked_as_each_serialiser_escapes_it():
    """Python's repr escapes a ' (and a control character as \\x01), JSON a " (and \\u0001); a JSON
    logger that keeps non-ASCII (Go's encoding/json) escapes only the quote."""
    import json

    both = 'it\'s "quoted"-secret'
    assert masker(both).mask(f"user {both!r}") == f"user '{MASK}'"
    control = "ctl\x01-secret-value"
    assert masker(control).mask(repr(control)) == f"'{MASK}'" and masker(control).mask(json.dumps(control)) == \
        f'"{MASK}"'
    go_json = 'şifre-"gizli"-ü'
    assert masker(go_json).mask(json.dumps({"pw": go_json}, ensure_ascii=False)) == f'{{"pw": "{MASK}"}}'
    assert masker(go_json).mask(json.dumps({"pw": go_json})) == f'{{"pw": "{MASK}"}}'
