--- @module assay.aws.ec2
--- @description AWS EC2 read-only queries (Query API, Signature V4): describe instances, volumes and security groups, XML answers as Lua tables, every page followed.
--- @category cloud
--- @icon aws
--- @keywords aws, ec2, instances, volumes, ebs, security-groups, describe, sigv4, compute, reservations, inventory
--- @quickref M.client(url?, opts?) -> client | EC2 client; url overrides https://ec2.<region>.amazonaws.com; opts {region, access_key, secret_key, session_token, profile, role_arn} (no keys: the assay.aws.sts chain)
--- @quickref c:describe_instances(opts?) -> [instance] | {instance_id, instance_type, state, private_ip, public_ip, availability_zone, image_id, vpc_id, subnet_id, launch_time, tags, raw}; opts {instance_ids, filters = {{name, values}}}
--- @quickref c:describe_volumes(opts?) -> [volume] | {volume_id, size, state, availability_zone, volume_type, encrypted, attachments, tags, raw}; opts {volume_ids, filters}
--- @quickref c:describe_security_groups(opts?) -> [group] | {group_id, group_name, description, vpc_id, ingress, egress, tags, raw}; opts {group_ids, group_names, filters}

local A = require("assay.aws._api")

local M = {}

local VERSION = "2016-11-15"

local Client = {}
Client.__index = Client

function M.client(url, opts)
  return A.object({ module = "aws.ec2", service = "ec2", prefix = "ec2", id = "EC2" }, Client, url, opts)
end

-- Query parameters: Action, Version, <Id>.N lists and Filter.N.Name / Filter.N.Value.M.
local function params(action, opts, lists)
  local out = { { "Action", action }, { "Version", VERSION } }
  for field, prefix in pairs(lists) do
    for i, id in ipairs(opts[field] or {}) do
      out[#out + 1] = { prefix .. "." .. i, id }
    end
  end
  for i, filter in ipairs(opts.filters or {}) do
    if type(filter) ~= "table" or type(filter.name) ~= "string" then
      error("aws.ec2: filters[" .. i .. "] must be {name = ..., values = {...}}", 0)
    end
    out[#out + 1] = { "Filter." .. i .. ".Name", filter.name }
    for j, value in ipairs(filter.values or {}) do
      out[#out + 1] = { "Filter." .. i .. ".Value." .. j, value }
    end
  end
  return out
end

local function tags(tag_set)
  local out = {}
  for _, tag in ipairs(A.list(tag_set)) do
    if type(tag) == "table" and tag.key then out[tag.key] = tag.value or "" end
  end
  return out
end

-- Every page of an action: the items under `set` of each answer, following nextToken.
function Client:_all(action, set, opts, lists)
  opts = opts or {}
  local items, token = {}, nil
  repeat
    local p = params(action, opts, lists)
    if token then p[#p + 1] = { "NextToken", token } end
    local doc = self.api:request("GET", "/", { query = A.form(p) })
    local body = doc and doc[action .. "Response"] or {}
    for _, item in ipairs(A.list(body[set])) do items[#items + 1] = item end
    token = type(body.nextToken) == "string" and body.nextToken ~= "" and body.nextToken or nil
  until token == nil
  return items
end

function Client:describe_instances(opts)
  local out = {}
  for _, reservation in ipairs(self:_all("DescribeInstances", "reservationSet", opts,
    { instance_ids = "InstanceId" })) do
    for _, i in ipairs(A.list(reservation.instancesSet)) do
      out[#out + 1] = {
        instance_id = i.instanceId,
        instance_type = i.instanceType,
        state = type(i.instanceState) == "table" and i.instanceState.name or nil,
        private_ip = i.privateIpAddress,
        public_ip = i.ipAddress,
        availability_zone = type(i.placement) == "table" and i.placement.availabilityZone or nil,
        image_id = i.imageId,
        vpc_id = i.vpcId,
        subnet_id = i.subnetId,
        launch_time = i.launchTime,
        reservation_id = reservation.reservationId,
        tags = tags(i.tagSet),
        raw = i,
      }
    end
  end
  return out
end

function Client:describe_volumes(opts)
  local out = {}
  for _, v in ipairs(self:_all("DescribeVolumes", "volumeSet", opts, { volume_ids = "VolumeId" })) do
    local attachments = {}
    for _, a in ipairs(A.list(v.attachmentSet)) do
      attachments[#attachments + 1] = { instance_id = a.instanceId, device = a.device, state = a.status }
    end
    out[#out + 1] = {
      volume_id = v.volumeId,
      size = tonumber(v.size or ""),
      state = v.status,
      availability_zone = v.availabilityZone,
      volume_type = v.volumeType,
      encrypted = v.encrypted == "true",
      attachments = attachments,
      tags = tags(v.tagSet),
      raw = v,
    }
  end
  return out
end

local function permissions(list)
  local out = {}
  for _, p in ipairs(A.list(list)) do
    local cidrs = {}
    for _, r in ipairs(A.list(p.ipRanges)) do cidrs[#cidrs + 1] = r.cidrIp end
    out[#out + 1] = {
      protocol = p.ipProtocol,
      from_port = tonumber(p.fromPort or ""),
      to_port = tonumber(p.toPort or ""),
      cidrs = cidrs,
    }
  end
  return out
end

function Client:describe_security_groups(opts)
  local out = {}
  for _, g in ipairs(self:_all("DescribeSecurityGroups", "securityGroupInfo", opts,
    { group_ids = "GroupId", group_names = "GroupName" })) do
    out[#out + 1] = {
      group_id = g.groupId,
      group_name = g.groupName,
      description = g.groupDescription,
      vpc_id = g.vpcId,
      owner_id = g.ownerId,
      ingress = permissions(g.ipPermissions),
      egress = permissions(g.ipPermissionsEgress),
      tags = tags(g.tagSet),
      raw = g,
    }
  end
  return out
end

return M
