using System.Text.Json;
using System.Text.Json.Nodes;
using Netlab.Data;
using Netlab.Labs.Core;

namespace Netlab.Web.Runs;

public sealed record TargetDto(string Host, int Port = 0);

/// <summary>Body of POST /api/runs.</summary>
public sealed record StartRunRequest(string? Probe, TargetDto? Target, JsonElement? Options);

/// <summary>A run as the API and the UI show it.</summary>
public sealed record RunDto(
    Guid Id, string Lab, string Probe, TargetDto Target, string TargetAddress, JsonElement Options,
    RunStatus Status, string? Error, JsonObject? Summary, int EventCount, DateTime CreatedAt, DateTime? EndedAt, OwnerDto? Owner = null,
    string? Instance = null)
{
    public static RunDto From(RunEntity run) => new(
        run.Id, run.Lab, run.Probe, new TargetDto(run.TargetHost, run.TargetPort), run.TargetAddress,
        JsonDocument.Parse(run.OptionsJson).RootElement.Clone(), run.Status, run.Error,
        run.SummaryJson is null ? null : JsonNode.Parse(run.SummaryJson)?.AsObject(),
        run.EventCount, DateTime.SpecifyKind(run.CreatedAt, DateTimeKind.Utc),
        run.EndedAt is { } ended ? DateTime.SpecifyKind(ended, DateTimeKind.Utc) : null,
        run.OwnerId is null && run.OwnerName is null ? null : new OwnerDto(run.OwnerId, run.OwnerName ?? ""), run.InstanceId);

    /// <summary>A run's summary for the API: the named values flattened, plus the printed lines.</summary>
    public static string SummaryJson(Summary summary)
    {
        var json = new JsonObject();
        foreach (var (name, value) in summary.Values)
            json[name] = value is { } v && double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
        json["lines"] = new JsonArray([.. summary.Lines.Select(l => (JsonNode?)JsonValue.Create(l))]);
        return json.ToJsonString();
    }
}

/// <summary>Who started a run or a server: Id is null once that account was deleted (Name then says so).</summary>
public sealed record OwnerDto(string? Id, string Name);

/// <summary>What a runs list asks for: filters (owner = a user id, for staff), a search on the target, a sort column ("started", "lab", "probe", "status", "target", "owner") and a page.</summary>
public sealed record RunQuery(string? Lab = null, RunStatus? Status = null, string? Target = null, string? SortBy = null, bool Descending = true, int Skip = 0, int Take = 20,
    string? Owner = null);

/// <summary>A change to a run's row (started, ended) for lists that update live.</summary>
public sealed record RunChange(RunDto Run);
