--- @module assay.hashicorp
--- @description HashiCorp clients under one namespace: hashicorp.vault is the Vault client (the same table as assay.vault).
--- @category secrets
--- @icon hashicorp
--- @keywords hashicorp, vault, secrets, namespace
--- @quickref hashicorp.vault.client(url, token) -> client | Vault client (see assay.hashicorp.vault / assay.vault)

return { vault = require("assay.hashicorp.vault") }
