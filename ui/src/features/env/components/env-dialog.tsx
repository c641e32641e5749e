import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Loader2Icon } from "lucide-react";
import { useMemo } from "react";
import { Controller, useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { applyServerErrors } from "@/lib/form";
import { ENV_TYPES, envKeys, type EnvVar, putVar } from "../api";
import { envSchema, type EnvValues, JsonSyntaxError, valueText, valueToSend } from "../schema";
import { ValueEditor } from "./value-editor";

export function EnvDialog({
  pid,
  variable,
  open,
  onOpenChange,
}: {
  pid: string;
  variable: EnvVar | null; // null: a new variable
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  // Rebuilt when the language changes: the messages are in it.
  const schema = useMemo(() => envSchema(), [i18n.language]);
  const form = useForm<EnvValues>({
    resolver: zodResolver(schema),
    values: {
      key: variable?.key ?? "",
      type: variable?.type ?? "string",
      value: variable ? valueText(variable) : "",
      flag: variable?.type === "boolean" ? Boolean(variable.value) : false,
    },
  });
  const type = form.watch("type");

  const save = useMutation({
    mutationFn: ({ key, type, value, flag }: EnvValues) => putVar(pid, key, type, valueToSend(type, value, flag)),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: envKeys.list(pid) });
      toast.success(t("env.saved", { key: saved.key }));
      onOpenChange(false);
    },
    onError: (error) => {
      if (error instanceof JsonSyntaxError) form.setError("value", { type: "json", message: error.message }, { shouldFocus: true });
      else applyServerErrors(error, form, { value: type === "boolean" ? "flag" : "value" });
    },
  });

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next) form.reset();
        onOpenChange(next);
      }}
    >
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{variable ? t("env.edit", { key: variable.key }) : t("env.new")}</DialogTitle>
          <DialogDescription>{t("env.dialogDescription")}</DialogDescription>
        </DialogHeader>
        <form id="env-form" className="grid gap-4" noValidate onSubmit={form.handleSubmit((values) => save.mutate(values))}>
          <div className="grid gap-4 sm:grid-cols-[1fr_10rem]">
            <Field label={t("env.key")} error={form.formState.errors.key?.message}>
              {(props) => (
                <Input {...props} className="font-mono" autoFocus={!variable} disabled={Boolean(variable)} autoComplete="off" spellCheck={false} {...form.register("key")} />
              )}
            </Field>
            <Controller
              control={form.control}
              name="type"
              render={({ field }) => (
                <Field label={t("env.type")}>
                  {({ id }) => (
                    <Select
                      value={field.value}
                      onValueChange={(next) => {
                        field.onChange(next);
                        form.clearErrors("value");
                      }}
                    >
                      <SelectTrigger id={id}>
                        <SelectValue />
                      </SelectTrigger>
                      <SelectContent>
                        {ENV_TYPES.map((name) => (
                          <SelectItem key={name} value={name}>
                            {t(`env.types.${name}`)}
                          </SelectItem>
                        ))}
                      </SelectContent>
                    </Select>
                  )}
                </Field>
              )}
            />
          </div>
          <Controller
            control={form.control}
            name="value"
            render={({ field }) => (
              <Field label={t("env.value")} error={form.formState.errors.value?.message ?? form.formState.errors.flag?.message}>
                {(control) => (
                  <ValueEditor
                    inputRef={field.ref}
                    type={type}
                    text={form.watch("value")}
                    flag={form.watch("flag")}
                    onText={(text) => {
                      form.setValue("value", text, { shouldDirty: true });
                      form.clearErrors("value"); // an error is about what was sent, not what is typed now
                    }}
                    onFlag={(flag) => {
                      form.setValue("flag", flag, { shouldDirty: true });
                      form.clearErrors("flag");
                    }}
                    control={control}
                  />
                )}
              </Field>
            )}
          />
        </form>
        <DialogFooter>
          <Button variant="outline" onClick={() => onOpenChange(false)}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" form="env-form" disabled={save.isPending}>
            {save.isPending && <Loader2Icon className="animate-spin" />}
            {t("common.save")}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
