--- @module assay.ory
--- @description Convenience umbrella for the Ory stack submodules (kratos, hydra, keto, rbac). Prefer requiring the individual submodules directly (e.g. assay.ory.kratos) if you only need one.
--- @category identity
--- @icon ory
--- @keywords ory, stack, kratos, hydra, keto, rbac, identity, oauth2, oidc, authz, zanzibar, capability
--- @quickref ory.kratos.client(opts) -> kratos client | Kratos identity management
--- @quickref ory.hydra.client(opts) -> hydra client | Hydra OAuth2 and OIDC
--- @quickref ory.keto.client(read_url, opts?) -> keto client | Keto authorization (Zanzibar-style ReBAC)
--- @quickref ory.rbac.policy(opts) -> policy | Capability-based RBAC engine over Keto
--- @quickref ory.connect(opts) -> {kratos, hydra, keto} | Build all three clients in one call

local M = {
  kratos = require("assay.ory.kratos"),
  hydra = require("assay.ory.hydra"),
  keto = require("assay.ory.keto"),
  rbac = require("assay.ory.rbac"),
}

--- ory.connect{kratos_public, kratos_admin, hydra_public, hydra_admin, keto_read, keto_write}:
--- the clients whose URLs were given (no HTTP).
function M.connect(opts)
  opts = opts or {}
  local out = {}
  if opts.kratos_public or opts.kratos_admin then
    out.kratos = M.kratos.client({ public_url = opts.kratos_public, admin_url = opts.kratos_admin })
  end
  if opts.hydra_public or opts.hydra_admin then
    out.hydra = M.hydra.client({ public_url = opts.hydra_public, admin_url = opts.hydra_admin })
  end
  if opts.keto_read then
    out.keto = M.keto.client(opts.keto_read, { write_url = opts.keto_write })
  end
  return out
end

return M
