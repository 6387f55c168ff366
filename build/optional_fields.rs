//! Setters of optional text fields take text: `.ifsc("HDFC0000123")` instead of
//! `.ifsc(Some("HDFC0000123".parse()?))`.
//!
//! progenitor's builder setters take `T: TryInto<Option<V>>`, which `&str` never is. For every
//! `V` that is a `String` or a type built from text (it has `TryFrom<&str>`), the bound becomes
//! `crate::field::OptionalField<V>` (a value, an `Option` of it, or its text, checked when the
//! request is built), and `V` gets the `crate::field` impls it needs.

use syn::visit_mut::VisitMut;

/// Rewrites the setters and adds the impls; runs on progenitor's whole output.
pub fn tailor(file: &mut syn::File) {
    let text_types = text_types(file);
    let mut setters = Setters {
        text_types: &text_types,
    };
    setters.visit_file_mut(file);
    let Some(types) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_mut(),
        _ => None,
    }) else {
        return;
    };
    for name in &text_types {
        let ident = syn::Ident::new(name, proc_macro2::Span::call_site());
        types.1.push(syn::parse_quote! {
            impl crate::field::FromText for #ident {
                type Error = self::error::ConversionError;
                fn from_text(text: &str) -> ::std::result::Result<Self, Self::Error> {
                    <Self as ::std::convert::TryFrom<&str>>::try_from(text)
                }
            }
        });
        types.1.push(syn::parse_quote! {
            impl crate::field::OptionalField<#ident> for #ident {
                type Error = ::std::convert::Infallible;
                fn into_optional(
                    self,
                ) -> ::std::result::Result<::std::option::Option<Self>, Self::Error> {
                    Ok(Some(self))
                }
            }
        });
    }
}

/// The names of the types in `types` that implement `TryFrom<&str>`, sorted.
fn text_types(file: &syn::File) -> Vec<String> {
    let mut names = Vec::new();
    for item in &file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "types" {
            continue;
        }
        for item in module.content.iter().flat_map(|(_, items)| items) {
            let syn::Item::Impl(imp) = item else { continue };
            let Some((trait_path, _)) = &imp.trait_ else {
                continue;
            };
            let from_str_ref = trait_path.segments.last().is_some_and(|last| {
                last.ident == "TryFrom"
                    && matches!(&last.arguments, syn::PathArguments::AngleBracketed(args)
                        if matches!(args.args.first(), Some(syn::GenericArgument::Type(syn::Type::Reference(r)))
                            if matches!(&*r.elem, syn::Type::Path(p) if p.path.is_ident("str"))))
            });
            if let (true, syn::Type::Path(self_ty)) = (from_str_ref, &*imp.self_ty)
                && let Some(ident) = self_ty.path.get_ident()
            {
                names.push(ident.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

struct Setters<'a> {
    text_types: &'a [String],
}

impl Setters<'_> {
    /// `V` of `TryInto<Option<V>>`, when it is text: `String` or `super::Name` of a text type.
    fn optional_text(&self, bound: &syn::TraitBound) -> bool {
        let Some(try_into) = bound.path.segments.last() else {
            return false;
        };
        if try_into.ident != "TryInto" {
            return false;
        }
        let Some(option) = only_type_argument(&try_into.arguments) else {
            return false;
        };
        let syn::Type::Path(option) = option else {
            return false;
        };
        let Some(last) = option.path.segments.last() else {
            return false;
        };
        if last.ident != "Option" {
            return false;
        }
        let Some(syn::Type::Path(inner)) = only_type_argument(&last.arguments) else {
            return false;
        };
        let segments: Vec<String> = inner
            .path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        match segments.as_slice() {
            [std, string, string_type] => {
                std == "std" && string == "string" && string_type == "String"
            }
            [parent, name] => parent == "super" && self.text_types.contains(name),
            _ => false,
        }
    }
}

fn only_type_argument(arguments: &syn::PathArguments) -> Option<&syn::Type> {
    let syn::PathArguments::AngleBracketed(args) = arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(ty)) if args.args.len() == 1 => Some(ty),
        _ => None,
    }
}

impl VisitMut for Setters<'_> {
    fn visit_impl_item_fn_mut(&mut self, method: &mut syn::ImplItemFn) {
        let Some(where_clause) = &mut method.sig.generics.where_clause else {
            return;
        };
        let mut rewritten = false;
        for predicate in &mut where_clause.predicates {
            let syn::WherePredicate::Type(typed) = predicate else {
                continue;
            };
            for bound in &mut typed.bounds {
                let syn::TypeParamBound::Trait(bound) = bound else {
                    continue;
                };
                if !self.optional_text(bound) {
                    continue;
                }
                let option = bound
                    .path
                    .segments
                    .last()
                    .and_then(|last| only_type_argument(&last.arguments).cloned());
                let Some(syn::Type::Path(option)) = option else {
                    continue;
                };
                let Some(inner) = option
                    .path
                    .segments
                    .last()
                    .and_then(|last| only_type_argument(&last.arguments).cloned())
                else {
                    continue;
                };
                *bound = syn::parse_quote!(crate::field::OptionalField<#inner>);
                rewritten = true;
            }
        }
        if rewritten {
            ConversionCall.visit_block_mut(&mut method.block);
        }
    }
}

/// `value.try_into()` becomes `crate::field::OptionalField::into_optional(value)`.
struct ConversionCall;

impl VisitMut for ConversionCall {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "try_into"
            && call.args.is_empty()
        {
            let receiver = &call.receiver;
            *expr = syn::parse_quote!(crate::field::OptionalField::into_optional(#receiver));
        }
    }
}
