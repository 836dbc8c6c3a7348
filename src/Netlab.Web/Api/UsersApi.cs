using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;

namespace Netlab.Web.Api;

/// <summary>Accounts, for instructors and admins: instructors manage students, admins everyone.</summary>
public static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(AccountsSetup.Staff);
        api.MapGet("/", (UserAccounts users, CancellationToken ct) => users.ListAsync(ct))
            .WithSummary("Every account: id, e-mail, name, role.");
        api.MapPost("/", async Task<Created<UserDto>> ([FromBody] CreateUserRequest request, HttpContext http, UserAccounts users) =>
            {
                var user = await users.CreateAsync(request, Viewer.Of(http.User));
                return TypedResults.Created($"/api/users/{user.Id}", user);
            })
            .WithSummary("Creates an account. Instructors create students; only admins create instructors and admins. Without a password, the answer carries a temporaryPassword (shown once).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{id}", (string id, UserAccounts users) => users.GetAsync(id))
            .WithSummary("One account.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{id}", async Task<NoContent> (string id, HttpContext http, UserAccounts users) =>
            {
                await users.DeleteAsync(id, Viewer.Of(http.User));
                return TypedResults.NoContent();
            })
            .WithSummary("Deletes an account and its keys. Its runs stay, marked with the former owner.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/import", ImportAsync)
            .WithSummary("Imports a roster: CSV lines email,name,role (role optional, default Student; a header line is skipped), as text/csv or a form file 'roster'. Reports each line: created, exists or error with why.")
            .Accepts<string>("text/csv", "text/plain", "multipart/form-data")
            .DisableAntiforgery() // keys only in practice; cookie requests pass the same-origin rule first
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPost("/{id}/api-keys", async Task<Created<NewApiKeyDto>> (string id, [FromBody] MeApi.CreateKeyRequest request, HttpContext http, UserAccounts users, ApiKeys keys, CancellationToken ct) =>
            {
                var actor = Viewer.Of(http.User);
                var user = await users.GetAsync(id);
                if (!actor.IsAdmin && user.Role != global::Netlab.Data.Roles.Student)
                    throw new ProblemException(StatusCodes.Status403Forbidden, "Not allowed", "Instructors create keys for students only.");
                var key = await keys.CreateAsync(user.Id, request.Name, ct);
                return TypedResults.Created($"/api/users/{id}/api-keys/{key.Id}", key);
            })
            .WithSummary("Creates an API key for a user (course set-up scripts): instructors for students, admins for anyone. The key is in this response only.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private const long MaxRosterBytes = 1024 * 1024;

    private static async Task<Ok<IReadOnlyList<ImportLineResult>>> ImportAsync(HttpRequest request, HttpContext http, UserAccounts users)
    {
        string csv;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            var file = form.Files["roster"] ?? form.Files.FirstOrDefault() ?? throw ProblemException.BadRequest("Send the roster as a form file named 'roster' or as a text/csv body.");
            if (file.Length > MaxRosterBytes)
                throw ProblemException.BadRequest($"A roster is at most {MaxRosterBytes / 1024} KB.");
            using var reader = new StreamReader(file.OpenReadStream());
            csv = await reader.ReadToEndAsync();
        }
        else
        {
            if (request.ContentLength > MaxRosterBytes)
                throw ProblemException.BadRequest($"A roster is at most {MaxRosterBytes / 1024} KB.");
            using var reader = new StreamReader(request.Body);
            var buffer = new char[MaxRosterBytes + 1];
            var read = await reader.ReadBlockAsync(buffer);
            if (read > MaxRosterBytes)
                throw ProblemException.BadRequest($"A roster is at most {MaxRosterBytes / 1024} KB.");
            csv = new string(buffer, 0, read);
        }
        return TypedResults.Ok(await users.ImportAsync(csv, Viewer.Of(http.User)));
    }
}
