using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Netlab.Web.Hosting;

namespace Netlab.Web.Accounts;

/// <summary>Body of POST /api/users (and one roster line).</summary>
public sealed record CreateUserRequest(string? Email, string? Name, string? Role, string? Password = null);

/// <summary>A user as the API shows it. <see cref="TemporaryPassword"/> is set once, when the portal chose the password.</summary>
public sealed record UserDto(string Id, string Email, string Name, string Role, DateTime CreatedAt)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? TemporaryPassword { get; init; }
}

/// <summary>What a roster import did with one line.</summary>
public sealed record ImportLineResult(int Line, string? Email, string Outcome, string? Error, UserDto? User);

/// <summary>
/// Accounts: creating users with the role rules (instructors create students; only admins create
/// staff), the first administrator, deleting users (their runs stay, marked with the former
/// owner) and importing a class roster.
/// </summary>
public sealed class UserAccounts(UserManager<NetlabUser> users, IDbContextFactory<NetlabDbContext> contexts, UserDirectory directory, TimeProvider time)
{
    public const int MaxRosterLines = 2000;

    public static UserDto ToDto(NetlabUser user, string role) =>
        new(user.Id, user.Email ?? "", user.DisplayName, role, DateTime.SpecifyKind(user.CreatedAt, DateTimeKind.Utc));

    public async Task<string> RoleOfAsync(NetlabUser user) => Roles.All.LastOrDefault((await users.GetRolesAsync(user)).Contains) ?? Roles.Student;

    public async Task<IReadOnlyList<UserDto>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await (from u in db.Users.AsNoTracking()
                          join ur in db.UserRoles on u.Id equals ur.UserId into urs
                          from ur in urs.DefaultIfEmpty()
                          join r in db.Roles on ur.RoleId equals r.Id into rs
                          from r in rs.DefaultIfEmpty()
                          select new { User = u, Role = r == null ? null : r.Name }).ToListAsync(cancellationToken);
        return [.. rows.GroupBy(x => x.User.Id).Select(g => ToDto(g.First().User, Roles.All.LastOrDefault(role => g.Any(x => x.Role == role)) ?? Roles.Student))
            .OrderBy(u => u.Email, StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<UserDto> GetAsync(string id)
    {
        var user = await users.FindByIdAsync(id) ?? throw ProblemException.NotFound("user", id);
        return ToDto(user, await RoleOfAsync(user));
    }

    /// <summary>Creates a user on behalf of <paramref name="actor"/> (null: the system, for the first admin and the bootstrap).</summary>
    public async Task<UserDto> CreateAsync(CreateUserRequest request, Viewer? actor)
    {
        var errors = new Dictionary<string, string[]>();
        var email = request.Email?.Trim() ?? "";
        var name = request.Name?.Trim() ?? "";
        var role = Roles.Normalize(request.Role ?? Roles.Student);
        if (!System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email || email.Length > 256)
            errors["email"] = ["email must be an e-mail address such as student@example.edu."];
        if (name.Length is 0 or > 200 || name.Any(char.IsControl))
            errors["name"] = ["name is required: 1 to 200 printable characters."];
        if (role is null)
            errors["role"] = [$"role must be one of {string.Join(", ", Roles.All)}; got '{request.Role}'."];
        if (errors.Count > 0)
            throw ProblemException.Invalid(errors);
        if (actor is not null && !actor.IsAdmin && role != Roles.Student)
            throw new ProblemException(StatusCodes.Status403Forbidden, "Not allowed", $"Only an admin can create {role} accounts; instructors create students.");
        if (await users.FindByEmailAsync(email) is not null)
            throw new ProblemException(StatusCodes.Status409Conflict, "User exists", $"There is already a user with e-mail {email}.");

        var user = new NetlabUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = name, CreatedAt = time.GetUtcNow().UtcDateTime };
        var temporary = request.Password is null ? TemporaryPassword() : null;
        var created = await users.CreateAsync(user, request.Password ?? temporary!);
        if (!created.Succeeded)
            throw ProblemException.Invalid(new Dictionary<string, string[]>
            {
                [created.Errors.Any(e => e.Code.StartsWith("Password", StringComparison.Ordinal)) ? "password" : "email"] = [.. created.Errors.Select(e => e.Description)],
            });
        await users.AddToRoleAsync(user, role!);
        directory.UserAdded();
        return ToDto(user, role!) with { TemporaryPassword = temporary };
    }

    /// <summary>Deletes a user and their keys; their runs stay with <c>OwnerName</c> saying who it was.</summary>
    public async Task DeleteAsync(string id, Viewer actor)
    {
        var user = await users.FindByIdAsync(id) ?? throw ProblemException.NotFound("user", id);
        var role = await RoleOfAsync(user);
        if (user.Id == actor.Id)
            throw new ProblemException(StatusCodes.Status409Conflict, "Not allowed", "You cannot delete your own account.");
        if (!actor.IsAdmin && role != Roles.Student)
            throw new ProblemException(StatusCodes.Status403Forbidden, "Not allowed", $"Only an admin can delete {role} accounts.");
        await using (var db = await contexts.CreateDbContextAsync())
        {
            var former = $"{user.DisplayName} (deleted)";
            await db.Runs.Where(r => r.OwnerId == id).ExecuteUpdateAsync(set => set.SetProperty(r => r.OwnerId, (string?)null).SetProperty(r => r.OwnerName, former));
        }
        var deleted = await users.DeleteAsync(user);
        if (!deleted.Succeeded)
            throw new ProblemException(StatusCodes.Status409Conflict, "Could not delete", string.Join(" ", deleted.Errors.Select(e => e.Description)));
    }

    /// <summary>Imports a roster, one <c>email,name,role</c> per line (a header line is recognised and skipped); each line is reported.</summary>
    public async Task<IReadOnlyList<ImportLineResult>> ImportAsync(string csv, Viewer actor)
    {
        var results = new List<ImportLineResult>();
        var lines = csv.ReplaceLineEndings("\n").Split('\n');
        if (lines.Length > MaxRosterLines)
            throw ProblemException.BadRequest($"A roster has at most {MaxRosterLines} lines; this one has {lines.Length}. Split it.");
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var fields = SplitCsv(line);
            if (i == 0 && fields.Count > 0 && fields[0].Equals("email", StringComparison.OrdinalIgnoreCase))
                continue;
            if (fields.Count is < 2 or > 3)
            {
                results.Add(new(i + 1, fields.FirstOrDefault(), "error", $"expected email,name,role; got {fields.Count} field(s).", null));
                continue;
            }
            try
            {
                var user = await CreateAsync(new CreateUserRequest(fields[0], fields[1], fields.Count > 2 && fields[2].Length > 0 ? fields[2] : Roles.Student), actor);
                results.Add(new(i + 1, user.Email, "created", null, user));
            }
            catch (ProblemException e)
            {
                results.Add(new(i + 1, fields[0], e.Status == StatusCodes.Status409Conflict ? "exists" : "error", e.Message, null));
            }
        }
        return results;
    }

    /// <summary>Fields of one CSV line (RFC 4180: commas, double-quoted fields with "" for a quote).</summary>
    public static IReadOnlyList<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString().Trim()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString().Trim());
        return fields;
    }

    /// <summary>A password for an account created without one: 16 characters from a set with no look-alikes.</summary>
    public static string TemporaryPassword()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return RandomNumberGenerator.GetString(alphabet, 16);
    }
}

/// <summary>Whether any account exists yet (asked on every page request before the first one does, so cached once true).</summary>
public sealed class UserDirectory(IServiceScopeFactory scopes)
{
    private volatile bool hasUsers;

    public SemaphoreSlim FirstAdminGate { get; } = new(1, 1);

    public async Task<bool> HasUsersAsync()
    {
        if (hasUsers)
            return true;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NetlabDbContext>();
        return hasUsers = await db.Users.AnyAsync();
    }

    public void UserAdded() => hasUsers = true;
}
