using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;

namespace Netlab.Web.Api;

/// <summary>The signed-in user: who they are and their API keys.</summary>
public static class MeApi
{
    /// <summary>Body of POST /api/me/api-keys.</summary>
    public sealed record CreateKeyRequest(string? Name);

    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/me").WithTags("Me");
        api.MapGet("/", (HttpContext http, UserAccounts users) => users.GetAsync(Viewer.Of(http.User).Id))
            .WithSummary("Who the request is signed in as: id, e-mail, name, role.");
        api.MapGet("/api-keys", (HttpContext http, ApiKeys keys, CancellationToken ct) => keys.ListAsync(Viewer.Of(http.User).Id, ct))
            .WithSummary("Your API keys (names and prefixes; never the secrets).");
        api.MapPost("/api-keys", async Task<Created<NewApiKeyDto>> ([FromBody] CreateKeyRequest request, HttpContext http, ApiKeys keys, CancellationToken ct) =>
            {
                var key = await keys.CreateAsync(Viewer.Of(http.User).Id, request.Name, ct);
                return TypedResults.Created($"/api/me/api-keys/{key.Id}", key);
            })
            .WithSummary("Creates an API key. The key is in this response only: store it now. Send it as X-Api-Key or Authorization: Bearer.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapDelete("/api-keys/{id:guid}", async Task<NoContent> (Guid id, HttpContext http, ApiKeys keys, CancellationToken ct) =>
                await keys.RevokeAsync(Viewer.Of(http.User).Id, id, ct) ? TypedResults.NoContent() : throw ProblemException.NotFound("API key", id))
            .WithSummary("Revokes one of your API keys; it stops working at once.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}
