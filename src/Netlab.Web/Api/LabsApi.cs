using Microsoft.AspNetCore.Http.HttpResults;
using Netlab.Labs;
using Netlab.Labs.Core;

namespace Netlab.Web.Api;

public sealed record LabDto(string Id, string Title, string Summary, string Handout, ComponentDto? Server, IReadOnlyList<ComponentDto> Probes);

public sealed record ComponentDto(string Kind, string? Title, IReadOnlyList<OptionField> Options, bool UsesPort = true);

public static class LabsApi
{
    public static RouteGroupBuilder MapLabsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/labs").WithTags("Labs");
        api.MapGet("/", GetLabs).WithSummary("The labs, with their server and probe kinds and their options.");
        return api;
    }

    public static Ok<LabDto[]> GetLabs() => TypedResults.Ok(LabCatalog.All.Select(l => new LabDto(
        l.Id, l.Title, l.Summary, l.Handout,
        l.Server is { } s ? new ComponentDto(s.Id, null, s.Options) : null,
        l.Probes.Select(p => new ComponentDto(p.Id, p.Title, p.Options, p.UsesPort)).ToList())).ToArray());
}
