"""Regenerate tests/vectors/issuer-signing.json from independent tools: cast (EIP-712 hashing
and signing, keccak, ABI encoding) and node with @openzeppelin/merkle-tree (submission trees).

Run from the repository root: ``.venv/bin/python tests/vectors/make_issuer_signing_vectors.py``.
Nothing here imports notary: every expected value is the output of the command stored
beside it. The private keys are TEST-ONLY and public (1, 2 and Anvil's first dev key).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CAST = "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"
KEYS = [
    "0x0000000000000000000000000000000000000000000000000000000000000001",
    "0x0000000000000000000000000000000000000000000000000000000000000002",
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
]
DOMAINS = [
    (31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3"),
    (1, "0x00000000000000000000000000000000000000A1"),
    (11155111, "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF"),
]
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
TYPES: dict[str, list[tuple[str, str]]] = {
    "Submission": [("issuer", "address"), ("leavesRoot", "bytes32")],
    "Revocation": [
        ("issuer", "address"),
        ("leaves", "bytes32[]"),
        ("reason", "uint8"),
        ("nonce", "uint256"),
        ("deadline", "uint256"),
    ],
    "AddSigner": [
        ("issuer", "address"),
        ("key", "address"),
        ("nonce", "uint256"),
        ("deadline", "uint256"),
    ],
    "RemoveSigner": [
        ("issuer", "address"),
        ("key", "address"),
        ("nonce", "uint256"),
        ("deadline", "uint256"),
    ],
}
TREE_COMMAND = (
    "node -e \"const T=require('@openzeppelin/merkle-tree').StandardMerkleTree;"
    "const v=JSON.parse(process.argv[1]);const t=T.of(v,['bytes32','address','bytes32']);"
    "console.log(JSON.stringify({root:t.root,leaves:v.map(x=>t.leafHash(x)),"
    'proofs:v.map((_,i)=>t.getProof(i))}))" '
)


def sh(command: str) -> str:
    done = subprocess.run(command, shell=True, check=True, capture_output=True, cwd=ROOT)
    return done.stdout.decode().strip()


def cast(args: str) -> tuple[str, str]:
    """(command, output) of a cast command; the command as a reader would type it."""
    command = f"{CAST} {args}"
    return command.replace(CAST, "cast"), sh(command)


def type_string(name: str) -> str:
    return f"{name}({','.join(f'{t} {n}' for n, t in TYPES[name])})"


def struct_hash(name: str, message: dict[str, Any]) -> tuple[str, str]:
    """hashStruct by cast keccak and abi-encode, arrays hashed as their concatenation."""
    parts, types = [f"$(cast keccak {shlex.quote(type_string(name))})"], ["bytes32"]
    for field, kind in TYPES[name]:
        value = message[field]
        if kind == "bytes32[]":
            parts.append(f"$(cast keccak $(cast concat-hex {' '.join(value)}))")
            types.append("bytes32")
        else:
            parts.append(str(value))
            types.append(kind)
    args = f"keccak $(cast abi-encode 'f({','.join(types)})' {' '.join(parts)})"
    command = f"cast {args}"
    return command, sh(command.replace("cast ", f"{CAST} "))


def typed_data(name: str, message: dict[str, Any], chain_id: int, contract: str) -> str:
    fields = [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ]
    data = {
        "types": {
            "EIP712Domain": fields,
            name: [{"name": n, "type": t} for n, t in TYPES[name]],
        },
        "primaryType": name,
        "domain": {
            "name": "NotaryRegistry",
            "version": "2",
            "chainId": chain_id,
            "verifyingContract": contract,
        },
        "message": {k: (str(v) if isinstance(v, int) else v) for k, v in message.items()},
    }
    return json.dumps(data, separators=(",", ":"))


def domain_vectors() -> list[dict[str, Any]]:
    out = []
    for chain_id, contract in DOMAINS:
        command = (
            f"cast keccak $(cast abi-encode 'f(bytes32,bytes32,bytes32,uint256,address)' "
            f"$(cast keccak {shlex.quote(DOMAIN_TYPE)}) $(cast keccak NotaryRegistry) "
            f"$(cast keccak 2) {chain_id} {contract})"
        )
        separator = sh(command.replace("cast ", f"{CAST} "))
        out.append(
            {
                "chainId": chain_id,
                "verifyingContract": contract,
                "separator": separator,
                "command": command,
            }
        )
    return out


def submission_trees(issuer: str) -> list[dict[str, Any]]:
    cases = [
        [["0x" + "11" * 32, issuer, "0x" + "00" * 32]],
        [
            ["0x" + "11" * 32, issuer, "0x" + "00" * 32],
            ["0x" + "22" * 32, issuer, "0x" + "33" * 32],
            ["0x" + "44" * 32, issuer, "0x" + "55" * 32],
        ],
    ]
    out = []
    for values in cases:
        command = TREE_COMMAND + shlex.quote(json.dumps(values))
        tree = json.loads(sh(command))
        out.append({"values": values, **tree, "command": command})
    return out


def signature_vectors(
    trees: list[dict[str, Any]], addresses: list[str], domains: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    issuer, key, other = addresses
    keyed = (int(key, 16) << 64) | 5
    messages: list[tuple[str, dict[str, Any], int]] = [
        ("Submission", {"issuer": issuer, "leavesRoot": trees[0]["root"]}, 1),
        ("Submission", {"issuer": issuer, "leavesRoot": trees[1]["root"]}, 1),
        ("Submission", {"issuer": other, "leavesRoot": trees[1]["root"]}, 2),
        (
            "Revocation",
            {
                "issuer": issuer,
                "leaves": trees[1]["leaves"],
                "reason": 3,
                "nonce": 0,
                "deadline": 1_760_000_000,
            },
            1,
        ),
        (
            "Revocation",
            {
                "issuer": issuer,
                "leaves": trees[0]["leaves"],
                "reason": 255,
                "nonce": keyed,
                "deadline": 2**256 - 1,
            },
            1,
        ),
        ("AddSigner", {"issuer": issuer, "key": key, "nonce": 0, "deadline": 1_760_000_000}, 0),
        ("RemoveSigner", {"issuer": issuer, "key": key, "nonce": 7, "deadline": 1}, 0),
    ]
    out = []
    for index, (name, message, signer) in enumerate(messages):
        chain_id, contract = DOMAINS[index % len(DOMAINS)]
        data = typed_data(name, message, chain_id, contract)
        sign_command, signature = cast(
            f"wallet sign --data {shlex.quote(data)} --private-key {KEYS[signer]}"
        )
        hash_command, structhash = struct_hash(name, message)
        separator = domains[index % len(DOMAINS)]["separator"]
        digest_command = f"cast keccak $(cast concat-hex 0x1901 {separator} {structhash})"
        digest = sh(digest_command.replace("cast ", f"{CAST} "))
        raw_command, raw_signature = cast(
            f"wallet sign --no-hash {digest} --private-key {KEYS[signer]}"
        )
        assert raw_signature == signature, "cast's EIP-712 digest differs from the hand-built one"
        out.append(
            {
                "primaryType": name,
                "message": {k: (str(v) if isinstance(v, int) else v) for k, v in message.items()},
                "chainId": chain_id,
                "verifyingContract": contract,
                "structHash": structhash,
                "structHashCommand": hash_command,
                "digest": digest,
                "digestCommand": digest_command,
                "privateKey": KEYS[signer],
                "signer": addresses[signer],
                "signature": signature,
                "command": sign_command,
                "digestSignatureCommand": raw_command,
            }
        )
    return out


def main() -> None:
    addresses = [cast(f"wallet address --private-key {k}")[1] for k in KEYS]
    trees = submission_trees(addresses[0])
    domains = domain_vectors()
    vectors = {
        "about": "EIP-712 structs of NotaryRegistry v2 (notary/core/issuer_signing.py); "
        "every value is the output of the command beside it (cast 1.7.1, "
        "@openzeppelin/merkle-tree 1.0.8). The private keys are TEST-ONLY and public.",
        "types": {name: type_string(name) for name in TYPES},
        "keys": [
            {"privateKey": k, "address": a, "command": f"cast wallet address --private-key {k}"}
            for k, a in zip(KEYS, addresses, strict=True)
        ],
        "domains": domains,
        "submissionTrees": trees,
        "signatures": signature_vectors(trees, addresses, domains),
    }
    (HERE / "issuer-signing.json").write_text(json.dumps(vectors, indent=2) + "\n", "utf-8")
    print("wrote tests/vectors/issuer-signing.json")


if __name__ == "__main__":
    main()
