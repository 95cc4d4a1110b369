--- @module assay.openbao
--- @description OpenBao secrets management (vault-compatible). Alias for assay.vault.
--- @keywords openbao, vault, secrets, kv, policies, auth, transit, pki, encryption, decryption, certificate, seal, initialization, authentication, secret-engine, password, rotation

-- The very same module table as assay.vault: require("assay.openbao") == require("assay.vault").
return require("assay.vault")
