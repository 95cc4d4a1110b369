--- @module assay.aws.eks
--- @description EKS bearer tokens minted in-process (what `aws eks get-token` prints): a presigned STS GetCallerIdentity URL bound to the cluster name. No aws CLI, no subprocess, so it works in --readonly. assay.k8s uses it for kubeconfig contexts with the aws exec plugin.
--- @category cloud
--- @icon aws
--- @keywords aws, eks, kubernetes, k8s, token, get-token, authentication, k8s-aws-v1, presigned, bearer, kubeconfig
--- @quickref M.client(url?, opts?) -> client | EKS token client; url = the STS endpoint (default https://sts.<region>.amazonaws.com); opts as M.get_token
--- @quickref M.get_token(cluster_name, opts?) -> token, expires_at | "k8s-aws-v1.…" bearer token valid ~15 minutes; opts {region, profile, role_arn, access_key, secret_key, session_token, credentials, sts_endpoint, time}
--- @quickref c:get_token(cluster_name) -> token, expires_at | Same, with the client's endpoint and credentials

local A = require("assay.aws._api")
local sigv4 = require("assay.aws.sigv4")

local M = {}

-- The API server accepts the presigned URL for 15 minutes from its X-Amz-Date; renew earlier.
local TOKEN_LIFETIME = 14 * 60

local function base64url(text)
  return (base64.encode(text):gsub("+", "-"):gsub("/", "_"):gsub("=+$", ""))
end

function M.get_token(cluster_name, opts)
  if type(cluster_name) ~= "string" or cluster_name == "" then
    error("aws.eks.get_token: cluster_name must be a non-empty string", 2)
  end
  opts = opts or {}
  local creds = A.credentials(opts, "aws.eks")
  local region = A.region(opts)
  local candidates = { opts.sts_endpoint, opts.endpoint, env.get("AWS_ENDPOINT_URL_STS"),
    env.get("AWS_ENDPOINT_URL"), "https://sts." .. region .. ".amazonaws.com" }
  local endpoint
  for i = 1, 5 do
    if candidates[i] ~= nil and candidates[i] ~= "" then endpoint = candidates[i] break end
  end
  local scheme, host, base = A.split(endpoint)
  local now = opts.time or time()
  local url = sigv4.presign({
    access_key = creds.access_key, secret_key = creds.secret_key, session_token = creds.session_token,
    service = "sts", region = region, method = "GET", scheme = scheme,
    host = A.wire_host(scheme, host), path = base ~= "" and base or "/",
    query = "Action=GetCallerIdentity&Version=2011-06-15",
    headers = { ["x-k8s-aws-id"] = cluster_name }, expires = 60, time = now,
  })
  return "k8s-aws-v1." .. base64url(url), math.floor(now) + TOKEN_LIFETIME
end

local Client = {}
Client.__index = Client

function Client:get_token(cluster_name, opts)
  local o = {}
  for k, v in pairs(self.opts) do o[k] = v end
  for k, v in pairs(opts or {}) do o[k] = v end
  return M.get_token(cluster_name, o)
end

function M.client(url, opts)
  if type(url) == "table" and opts == nil then url, opts = nil, url end
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  if url ~= nil then o.sts_endpoint = url end
  return setmetatable({ opts = o, url = url }, Client)
end

return M
