using Microsoft.AspNetCore.Http.HttpResults;
using Netlab.Labs;
using Netlab.Labs.Core;

namespace Netlab.Web.Api;

public sealed record LabDto(string Id, string Title, string Summary, string Handout, ComponentDto? Server, ComponentDto? Probe);

public sealed record ComponentDto(string Kind, IReadOnlyList<OptionField> Options);

public static class LabsApi
{
    public static RouteGroupBuilder MapLabsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/labs").WithTags("Labs");
        api.MapGet("/", GetLabs).WithSummary("The labs, with their server and probe kinds and options.");
        return api;
    }

    public static Ok<LabDto[]> GetLabs() => TypedResults.Ok(LabCatalog.All.Select(l => new LabDto(
        l.Id, l.Title, l.Summary, l.Handout,
        l.Server is { } s ? new ComponentDto(s.Id, s.Options) : null,
        l.Probe is { } p ? new ComponentDto(p.Id, p.Options) : null)).ToArray());
}
