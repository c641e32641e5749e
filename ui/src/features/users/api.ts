import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, type Page } from "@/lib/api";
import type { Permissions, User } from "@/features/auth/api";

export const userKeys = {
  all: ["users"] as const,
  page: (page: number, perPage: number) => [...userKeys.all, "page", page, perPage] as const,
  everyone: () => [...userKeys.all, "everyone"] as const,
};

export const usersPageQuery = (page: number, perPage: number) =>
  queryOptions({
    queryKey: userKeys.page(page, perPage),
    queryFn: () => api<Page<User>>("/api/users", { query: { page, perPage } }),
    placeholderData: keepPreviousData,
  });

/** Every user (for pickers such as project members); needs manageUsers. */
export const everyoneQuery = queryOptions({
  queryKey: userKeys.everyone(),
  queryFn: () => api<Page<User>>("/api/users", { query: { perPage: 500 } }).then((page) => page.items),
});

export interface UserInput {
  email: string;
  name: string;
  password?: string;
  permissions: Permissions;
}

export const createUser = (input: UserInput) => api<User>("/api/users", { method: "POST", json: input });
export const updateUser = (id: string, input: Partial<UserInput>) => api<User>(`/api/users/${id}`, { method: "PATCH", json: input });
export const deleteUser = (id: string) => api<void>(`/api/users/${id}`, { method: "DELETE" });
export const blockUser = (id: string, blocked: boolean) =>
  api<User>(`/api/users/${id}/${blocked ? "block" : "unblock"}`, { method: "POST" });

export const updateMe = (name: string) => api<User>("/api/auth/me", { method: "PATCH", json: { name } });
export const changePassword = (currentPassword: string, newPassword: string) =>
  api<{ token: string; user: User }>("/api/auth/me/password", { method: "POST", json: { currentPassword, newPassword } });
export function uploadAvatar(image: Blob) {
  const form = new FormData();
  form.append("file", image, "avatar.png");
  return api<User>("/api/auth/me/avatar", { method: "PUT", body: form });
}
export const removeAvatar = () => api<User>("/api/auth/me/avatar", { method: "DELETE" });
