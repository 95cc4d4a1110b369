--- @module assay.aws.ecr
--- @description AWS Elastic Container Registry: authorization tokens for docker/OCI login (GetAuthorizationToken), signed in-process.
--- @category cloud
--- @icon aws
--- @keywords aws, ecr, container, registry, docker, oci, authorization, token, login, password
--- @quickref M.client(url?, opts?) -> client | ECR client; url overrides https://api.ecr.<region>.amazonaws.com; opts {region, access_key, secret_key, session_token, profile, role_arn} (no keys: the assay.aws.sts chain)
--- @quickref c:get_authorization_token() -> {token, username, proxy_endpoint, expires_at, authorization_token} | Registry login: username "AWS", password = token

local A = require("assay.aws._api")

local M = {}

local Client = {}
Client.__index = Client

function M.client(url, opts)
  return A.object({ module = "aws.ecr", service = "ecr", prefix = "api.ecr", id = "ECR" }, Client, url, opts)
end

function Client:get_authorization_token()
  local data = self.api:request("POST", "/", {
    body = "{}", result = "json",
    headers = {
      ["content-type"] = "application/x-amz-json-1.1",
      ["x-amz-target"] = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
    },
  })
  local entry = type(data) == "table" and type(data.authorizationData) == "table" and data.authorizationData[1]
  if type(entry) ~= "table" or type(entry.authorizationToken) ~= "string" then
    error("aws.ecr: GetAuthorizationToken answered without authorizationData", 0)
  end
  local decoded = base64.decode(entry.authorizationToken)
  local username, password = decoded:match("^([^:]*):(.*)$")
  return {
    token = password or decoded,
    username = username or "AWS",
    authorization_token = entry.authorizationToken,
    proxy_endpoint = entry.proxyEndpoint,
    expires_at = entry.expiresAt,
  }
end

return M
