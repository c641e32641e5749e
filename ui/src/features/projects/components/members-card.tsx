import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { UserMinusIcon, UserPlusIcon } from "lucide-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { UserAvatar } from "@/components/layout/user-menu";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { abilities, useMe } from "@/features/auth/api";
import { everyoneQuery } from "@/features/users/api";
import { toastError } from "@/lib/form";
import { type Project, projectKeys, setMembers } from "../api";

export function MembersCard({ project }: { project: Project }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const { data: me } = useMe();
  const can = abilities(me);
  // Names need the user list, which only user managers may read; others see ids.
  const everyone = useQuery({ ...everyoneQuery, enabled: can.manageUsers });
  const [adding, setAdding] = useState<string | undefined>(undefined);
  const byId = new Map((everyone.data ?? []).map((user) => [user.id, user]));
  if (me) byId.set(me.id, me);
  const candidates = (everyone.data ?? []).filter((user) => !project.members.includes(user.id));

  const save = useMutation({
    mutationFn: (members: string[]) => setMembers(project.id, members),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: projectKeys.all });
      toast.success(t("members.saved"));
      setAdding(undefined);
    },
    onError: toastError,
  });

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("members.title")}</CardTitle>
        <CardDescription>{t("members.description")}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <ul className="divide-y rounded-md border" aria-label={t("members.title")}>
          {project.members.length === 0 && <li className="p-3 text-sm text-muted-foreground">{t("members.none")}</li>}
          {project.members.map((uid) => {
            const user = byId.get(uid);
            return (
              <li key={uid} className="flex items-center gap-3 p-2.5" data-testid="member">
                <UserAvatar user={user} className="size-7" />
                <span className="grid min-w-0 flex-1 leading-tight">
                  <span className="truncate text-sm font-medium">{user ? user.name || user.email : uid}</span>
                  {user && <span className="truncate text-xs text-muted-foreground">{user.email}</span>}
                </span>
                {uid === project.createdBy && <Badge variant="outline">{t("members.creator")}</Badge>}
                <Button
                  variant="ghost"
                  size="icon-sm"
                  aria-label={t("members.remove", { name: user?.email ?? uid })}
                  title={uid === project.createdBy ? t("members.creatorStays") : t("members.remove", { name: user?.email ?? uid })}
                  disabled={save.isPending || uid === project.createdBy}
                  onClick={() => save.mutate(project.members.filter((id) => id !== uid))}
                >
                  <UserMinusIcon />
                </Button>
              </li>
            );
          })}
        </ul>
        {can.manageUsers && (
          <div className="flex gap-2">
            <Select value={adding} onValueChange={setAdding} disabled={candidates.length === 0}>
              <SelectTrigger aria-label={t("members.pick")} className="flex-1">
                <SelectValue placeholder={candidates.length ? t("members.pick") : t("members.everyoneIn")} />
              </SelectTrigger>
              <SelectContent>
                {candidates.map((user) => (
                  <SelectItem key={user.id} value={user.id}>
                    {user.name ? `${user.name} · ${user.email}` : user.email}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
            <Button disabled={!adding || save.isPending} onClick={() => adding && save.mutate([...project.members, adding])}>
              <UserPlusIcon />
              {t("members.add")}
            </Button>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
