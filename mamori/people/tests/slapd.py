"""A real OpenLDAP server for the directory login tests: Debian's slapd, started by the tests.

Each pytest(-xdist) worker starts its own slapd as a child process, on 127.0.0.1 and a free port,
with a configuration of its own (cn=config in a slapd.d folder, one mdb database) in the worker's
temporary folder, and stops it when the session ends. It serves plain LDAP and StartTLS with a
certificate from a throwaway CA made here.

The directory of 狛江市 (dc=komae,dc=example):
  ou=people       yamada (山田 花子, 職員番号 001234), suzuki (attributes the tests change)
  ou=contractors  sato: a real entry with a password, but outside the search base Mamori uses
  ou=services     cn=mamori: the service account Mamori searches with
"""

import base64
import datetime
import hashlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

import pytest

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

SUFFIX = "dc=komae,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret-for-tests"
SERVICE_DN = f"cn=mamori,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret-for-tests"
PEOPLE_BASE = f"ou=people,{SUFFIX}"


@dataclass(frozen=True)
class DirectoryPerson:
    uid: str
    ou: str
    password: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def dn(self) -> str:
        return f"uid={self.uid},ou={self.ou},{SUFFIX}"


YAMADA = DirectoryPerson(
    "yamada",
    "people",
    "yamada-directory-password",
    {
        "cn": "山田 花子",
        "sn": "山田",
        "givenName": "花子",
        "displayName": "山田 花子",
        "mail": "yamada@city.komae.example",
        "employeeNumber": "001234",
    },
)
SUZUKI = DirectoryPerson(
    "suzuki",
    "people",
    "suzuki-directory-password",
    {"cn": "鈴木 一郎", "sn": "鈴木", "displayName": "鈴木 一郎", "mail": "suzuki@city.komae.example"},
)
SATO = DirectoryPerson(
    "sato",
    "contractors",
    "sato-directory-password",
    {"cn": "佐藤 次郎", "sn": "佐藤", "displayName": "佐藤 次郎", "mail": "sato@vendor.example"},
)
PEOPLE = (YAMADA, SUZUKI, SATO)


@dataclass
class Slapd:
    """A running slapd and what the tests need to point Mamori at it."""

    uri: str
    ca_file: Path
    process: subprocess.Popen[bytes]

    def mamori_values(self, **overrides: str) -> dict[str, str]:
        """MAMORI_LDAP_* values as an office would set them: search with a service account."""
        values = {
            "MAMORI_LDAP_SERVER_URI": self.uri,
            "MAMORI_LDAP_BIND_DN": SERVICE_DN,
            "MAMORI_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "MAMORI_LDAP_USER_SEARCH_BASE": PEOPLE_BASE,
            "MAMORI_LDAP_USER_FILTER": "(uid=%(user)s)",
            "MAMORI_LDAP_EMPLOYEE_NUMBER_ATTR": "employeeNumber",
            "MAMORI_DIRECTORY_TIMEOUT": "5",
        }
        values.update(overrides)
        return values

    def replace(self, person: DirectoryPerson, **attributes: str | None) -> None:
        """Change attributes of an entry, as the directory's administrators would (None removes one)."""
        import ldap

        connection = ldap.initialize(self.uri)
        try:
            connection.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
            connection.modify_s(
                person.dn,
                [
                    (ldap.MOD_REPLACE, name, [value.encode()] if value is not None else [])
                    for name, value in attributes.items()
                ],
            )
        finally:
            connection.unbind_s()


def _ssha(password: str) -> str:
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 -- {SSHA} is what slapd reads
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _ldif(dn: str, attributes: list[tuple[str, str]]) -> str:
    """One LDIF record; values that are not plain ASCII are base64 (RFC 2849), as Japanese names are."""
    lines = []
    for name, value in [("dn", dn), *attributes]:
        if value.isascii() and not value.startswith((" ", ":", "<")):
            lines.append(f"{name}: {value}")
        else:
            lines.append(f"{name}:: {base64.b64encode(value.encode()).decode()}")
    return "\n".join(lines) + "\n\n"


def _config_ldif(folder: Path, cert: Path, key: Path) -> str:
    schemas = "".join(
        f"include: file://{SCHEMA_DIR / name}.ldif\n" for name in ("core", "cosine", "inetorgperson")
    )
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {folder}/slapd.pid
olcArgsFile: {folder}/slapd.args
olcTLSCertificateFile: {cert}
olcTLSCertificateKeyFile: {key}

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULE_DIR}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {folder}/data
olcDbMaxSize: 16777216
olcSuffix: {SUFFIX}
olcRootDN: {ROOT_DN}
olcRootPW: {ROOT_PASSWORD}
olcAccess: {{0}}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {{1}}to * by users read by * none

"""


def _data_ldif() -> str:
    records = [
        _ldif(
            SUFFIX,
            [("objectClass", "dcObject"), ("objectClass", "organization"), ("dc", "komae"), ("o", "狛江市")],
        ),
        *(
            _ldif(f"ou={ou},{SUFFIX}", [("objectClass", "organizationalUnit"), ("ou", ou)])
            for ou in ("people", "contractors", "services")
        ),
        _ldif(
            SERVICE_DN,
            [
                ("objectClass", "organizationalRole"),
                ("objectClass", "simpleSecurityObject"),
                ("cn", "mamori"),
                ("userPassword", _ssha(SERVICE_PASSWORD)),
            ],
        ),
    ]
    for person in PEOPLE:
        attributes = [
            ("objectClass", "inetOrgPerson"),
            ("uid", person.uid),
            ("userPassword", _ssha(person.password)),
        ]
        records.append(_ldif(person.dn, attributes + list(person.attributes.items())))
    return "".join(records)


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mamori test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths[2].chmod(0o600)
    return paths


def _run(*command: str | Path) -> None:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{result.stdout}{result.stderr}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(uri: str) -> bool:
    import ldap

    connection = ldap.initialize(uri)
    connection.set_option(ldap.OPT_NETWORK_TIMEOUT, 1)
    try:
        connection.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
    except ldap.SERVER_DOWN:
        return False
    connection.unbind_s()
    return True


def _start(folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    # The port is free when probed but may be taken before slapd binds it (the other worker, or
    # anything else): slapd then exits at once, and another port is tried.
    log_path = folder / "slapd.log"
    for _attempt in range(5):
        uri = f"ldap://127.0.0.1:{_free_port()}"
        with log_path.open("wb") as log:
            # -d 0: stay in the foreground as our child (no fork), log nothing beyond errors.
            process = subprocess.Popen(
                [SLAPD, "-F", str(folder / "slapd.d"), "-h", f"{uri}/", "-d", "0"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(uri):
                return uri, process
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
            process.wait()
            break
    raise RuntimeError(f"slapd did not start:\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="session", name="slapd")
def slapd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """Debian's slapd with the 狛江市 directory, for this worker alone."""
    if not (Path(SLAPD).exists() and Path(SLAPADD).exists()):
        pytest.skip("Debian's slapd is not installed; `make test` installs it (packages slapd, ldap-utils)")
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "slapd.d").mkdir()
    (folder / "data").mkdir()
    ca, cert, key = _certificates(folder)
    (folder / "config.ldif").write_text(_config_ldif(folder, cert, key), encoding="utf-8")
    (folder / "data.ldif").write_text(_data_ldif(), encoding="utf-8")
    _run(SLAPADD, "-n", "0", "-F", folder / "slapd.d", "-l", folder / "config.ldif")
    _run(SLAPADD, "-b", SUFFIX, "-F", folder / "slapd.d", "-l", folder / "data.ldif")
    uri, process = _start(folder)
    try:
        yield Slapd(uri=uri, ca_file=ca, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder / "data", ignore_errors=True)
